"""Redirects a hostile server can send: to schemes that are not fetched, to another host or
from https down to http (credentials stay behind), and a redirect whose body is a bomb."""

from __future__ import annotations

import socket
import ssl
import threading
import time
import zlib
from urllib.parse import quote

import ferrocrawl
import pytest
from ferrocrawl import ClientTimeout

from tests.servers.net import bound_socket
from tests.servers.tls import make_certs

from .scripted import Conn, response

SECRETS = {
    "Authorization": "Bearer secret-token",
    "Proxy-Authorization": "Basic c2VjcmV0OnNlY3JldA==",
    "Cookie": "hdr=secret-cookie",
}
CREDENTIAL_HEADERS = (b"authorization:", b"proxy-authorization:", b"cookie:")


@pytest.mark.parametrize(
    "target",
    ["data:text/html,<script>alert(1)</script>", "javascript:alert(1)", "JavaScript:alert(1)"],
)
async def test_redirect_to_data_and_javascript_is_refused(server, target):
    url = server.url(f"/redirect-to?url={quote(target, safe='')}")
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.RedirectError) as ei:
            await s.get(url)
    assert not isinstance(ei.value, ferrocrawl.TooManyRedirects)
    assert url in str(ei.value) and target.split(":")[0].lower() in str(ei.value)


def lines_of(head: bytes) -> list[bytes]:
    return [line.lower() for line in head.split(b"\r\n")[1:]]


async def test_credentials_stay_behind_on_a_redirect_to_another_host(server, scripted):
    async def landing(conn: Conn) -> None:
        if await conn.read_head() is not None:
            conn.write(response(body=b"landed"))
            await conn.drain()

    other = scripted(landing, host="127.0.0.2")  # another host, not just another port
    url = server.url(f"/redirect-to?url={quote(other.url('/landing'), safe='')}")
    async with ferrocrawl.ClientSession(headers={"Authorization": "Bearer session"}) as s:
        r = await s.get(url, headers=SECRETS, cookies={"sid": "secret-sid"})
        assert await r.read() == b"landed" and r.url == other.url("/landing")
    [(_, head)] = other.requests
    sent = lines_of(head)
    for name in CREDENTIAL_HEADERS:
        assert not any(line.startswith(name) for line in sent), (name, head)
    assert b"secret" not in head.lower()


class DualServer:
    """One port on 127.0.0.1 that speaks TLS or plain HTTP, whichever the client starts with:
    over TLS it redirects to http:// on the same host and port (a downgrade and nothing else).
    A thread serving at most `max_connections` connections, for at most 20 s."""

    def __init__(self, ctx: ssl.SSLContext, max_connections: int = 4) -> None:
        self.ctx = ctx
        self.heads: list[tuple[str, bytes]] = []  # (scheme, request head)
        self.max_connections = max_connections
        self._sock = bound_socket()
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dual-server", daemon=True)
        self._thread.start()

    def url(self, scheme: str, path: str) -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def _run(self) -> None:
        deadline = time.monotonic() + 20
        served = 0
        while not self._stop.is_set() and served < self.max_connections:
            if time.monotonic() > deadline:
                break
            try:
                conn, _ = self._sock.accept()
            except OSError:  # the 0.1 s accept timeout (TimeoutError) included
                continue
            served += 1
            self._serve(conn)

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(5)
        try:
            tls = sock.recv(1, socket.MSG_PEEK) == b"\x16"  # a TLS record: handshake
            if tls:
                sock = self.ctx.wrap_socket(sock, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                data = sock.recv(4096)
                if not data:
                    return
                head += data
            self.heads.append(("https" if tls else "http", head))
            if tls:
                location = self.url("http", "/landing")
                out = response("302 Found", [("Location", location), ("Connection", "close")])
            else:
                out = response(headers=[("Connection", "close")], body=b"landed")
            sock.sendall(out)
        except (OSError, ssl.SSLError):
            pass
        finally:
            sock.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._sock.close()


async def test_credentials_stay_behind_on_https_to_http_same_host_and_port(tmp_path):
    certs = make_certs(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs.cert_file, certs.key_file)
    srv = DualServer(ctx)
    try:
        async with ferrocrawl.ClientSession(ssl=str(certs.ca_file)) as s:
            r = await s.get(srv.url("https", "/start"), headers=SECRETS)
            assert await r.read() == b"landed"
            assert r.url == srv.url("http", "/landing")
    finally:
        srv.close()
    assert [scheme for scheme, _ in srv.heads] == ["https", "http"]
    [(_, first), (_, second)] = srv.heads
    for name in CREDENTIAL_HEADERS:
        assert any(line.startswith(name) for line in lines_of(first)), (name, first)
        assert not any(line.startswith(name) for line in lines_of(second)), (name, second)


def endless_bomb_redirect(sent_chunks: list[int], cap: int = 20_000):
    """A server whose /start is a 302 to /end carrying an endless chunked gzip stream (each
    chunk 1 MiB of zeros; `cap` chunks = 20 GiB decoded); /end answers "landed". Appends to
    `sent_chunks` how many chunks it wrote before the client hung up."""
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = co.compress(bytes(1 << 20)) + co.flush(zlib.Z_SYNC_FLUSH)

    async def script(conn: Conn) -> None:
        head = await conn.read_head()
        if head is None:
            return
        if not head.startswith(b"GET /start "):
            conn.write(response(body=b"landed", headers=[("Content-Type", "text/html")]))
            await conn.drain()
            return
        conn.write(
            b"HTTP/1.1 302 Found\r\nLocation: /end\r\nContent-Encoding: gzip\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        n = 0
        try:
            while n < cap:
                conn.write(b"%x\r\n" % len(block) + block + b"\r\n")
                await conn.drain()
                n += 1
        finally:
            sent_chunks.append(n)

    return script


async def test_a_redirect_whose_body_is_an_endless_gzip_bomb_is_never_read(scripted):
    """A client that read or decoded the 302's body would never reach the target, or would
    fail on max_body_size."""
    sent_chunks: list[int] = []
    srv = scripted(endless_bomb_redirect(sent_chunks))
    async with ferrocrawl.ClientSession(
        timeout=ClientTimeout(total=10), max_body_size=1 << 20
    ) as s:
        t0 = time.monotonic()
        r = await s.get(srv.url("/start"))
        assert await r.read() == b"landed"
        assert time.monotonic() - t0 < 3
    assert [h.status for h in r.history] == [302]
    assert await srv.wait(lambda: bool(sent_chunks)), "the redirect's connection stayed open"
    assert sent_chunks[0] < 20_000


async def test_a_crawled_redirect_whose_body_is_a_bomb_is_never_read(scripted):
    """The crawl follows hops through its frontier (allow_redirects=False underneath): the
    302's body is dropped unread, and the target is still crawled."""
    sent_chunks: list[int] = []
    srv = scripted(endless_bomb_redirect(sent_chunks))
    t0 = time.monotonic()
    pages = [
        p
        async for p in ferrocrawl.crawl(
            srv.url("/start"), robots=False, timeout=ClientTimeout(total=10)
        )
    ]
    assert time.monotonic() - t0 < 5
    assert [(p.url.rsplit("/", 1)[1], p.status, p.error) for p in pages] == [("end", 200, None)]
    assert await srv.wait(lambda: bool(sent_chunks)), "the redirect's connection stayed open"
    assert sent_chunks[0] < 20_000
