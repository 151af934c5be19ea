"""An HTTP proxy (absolute-form forwarding and CONNECT tunnels) that records what it relayed.

    proxy = HttpProxy(auth=None)      # or ("user", "pass"): answers 407 without Proxy-Authorization
    proxy = HttpProxy(upstream=(host, port))  # every request and tunnel goes there, whatever
                                      # its host: named hosts (shop.example.com) for tests
    proxy.url                         # "http://127.0.0.1:PORT"
    proxy.requests                    # [{"method", "target", "proxy_authorization"}, ...]

It connects only to loopback targets (anything else gets 403). Forwarded requests go upstream
with `Connection: close`, and the client connection closes after the response.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any
from urllib.parse import urlsplit

from .loop import LoopThread
from .net import HOST, bound_socket, is_loopback
from .pipe import relay


class HttpProxy:
    def __init__(
        self, auth: tuple[str, str] | None = None, upstream: tuple[str, int] | None = None
    ) -> None:
        assert upstream is None or is_loopback(upstream[0]), "loopback only"
        self.auth = auth
        self.upstream = upstream
        self.requests: list[dict[str, Any]] = []
        self._sock = bound_socket()
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self._thread = LoopThread("http-proxy")
        self._server: asyncio.Server | None = None
        self._thread.run(self._start())

    def url_with_auth(self) -> str:
        assert self.auth
        return f"http://{self.auth[0]}:{self.auth[1]}@{HOST}:{self.port}"

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, sock=self._sock)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (
            ConnectionError,
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            asyncio.TimeoutError,
            ValueError,
            IndexError,
        ):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _reply(writer: asyncio.StreamWriter, status: str, extra: str = "") -> None:
        writer.write(
            f"HTTP/1.1 {status}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers = [tuple(x.split(":", 1)) for x in lines[1:] if ":" in x]
        hdict = {k.strip().lower(): v.strip() for k, v in headers}
        proxy_auth = hdict.get("proxy-authorization")
        self.requests.append(
            {"method": method, "target": target, "proxy_authorization": proxy_auth}
        )
        if self.auth is not None:
            want = "Basic " + base64.b64encode(":".join(self.auth).encode()).decode()
            if proxy_auth != want:
                await self._reply(
                    writer,
                    "407 Proxy Authentication Required",
                    'Proxy-Authenticate: Basic realm="proxy"\r\n',
                )
                return

        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            if self.upstream is not None:
                host, port = self.upstream[0], str(self.upstream[1])
            if not is_loopback(host):
                await self._reply(writer, "403 Forbidden")
                return
            up = await asyncio.wait_for(asyncio.open_connection(host.strip("[]"), int(port)), 10)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await relay((reader, writer), up)
            return

        parts = urlsplit(target)
        named = self.upstream is not None and parts.scheme == "http"
        if not named and (
            parts.scheme != "http" or not parts.hostname or not is_loopback(parts.hostname)
        ):
            await self._reply(writer, "403 Forbidden")
            return
        length = int(hdict.get("content-length", "0"))
        if "chunked" in hdict.get("transfer-encoding", "").lower():
            await self._reply(writer, "411 Length Required")
            return
        body = await reader.readexactly(length) if length else b""
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        drop = {"proxy-authorization", "proxy-connection", "connection", "keep-alive"}
        out = [f"{method} {path} {version}"]
        out += [f"{k}:{v}" for k, v in headers if k.strip().lower() not in drop]
        out.append("Connection: close")
        host, port = self.upstream or (parts.hostname, parts.port or 80)
        up_r, up_w = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
        up_w.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
        await up_w.drain()
        try:
            while data := await asyncio.wait_for(up_r.read(65536), 30):
                writer.write(data)
                await writer.drain()
        finally:
            up_w.close()

    def forwarded(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] != "CONNECT"]

    def tunnels(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "CONNECT"]

    def close(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()

        self._thread.run(stop())
        self._thread.stop()
        self._sock.close()
