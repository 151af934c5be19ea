"""A TCP server whose every connection runs a test's script: exact bytes, in any order and
timing, on one connection or many, with the counts the hostile tests assert on.

    async def script(conn: Conn) -> None:
        head = await conn.read_head()          # the request head, or None at EOF
        conn.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
        await conn.drain()
        await conn.wait_eof()                  # until the client hangs up (bounded)

    srv = Scripted(script)                     # or the `scripted` fixture: closed after the test
    srv.url("/x")                              # "http://127.0.0.1:PORT/x"
    srv.connections, srv.requests, srv.ended   # connections accepted, request heads, ended scripts

Bounds, whatever the client does: a script runs at most `hold` seconds, a request head is read
for at most 10 s and 256 KiB, and past `max_connections` a connection is closed at once.
Every server binds a loopback address (127.0.0.1, or 127.0.0.2.. for "another host").
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable

from tests.servers.loop import StreamServer
from tests.servers.net import HOST

MAX_HEAD = 256 * 1024
HEAD_WAIT = 10.0


class Conn:
    """One accepted connection, as its script sees it."""

    def __init__(
        self,
        server: Scripted,
        index: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.server = server
        self.index = index  # 1 for the first connection the server accepted
        self.reader = reader
        self.writer = writer
        self.sent = 0  # bytes written by the script

    async def read_head(self) -> bytes | None:
        """The next request head (up to the blank line), recorded in `server.requests`; None
        if the client closed the connection first."""
        try:
            head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), HEAD_WAIT)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        self.server.requests.append((self.index, head))
        return head

    async def read_body(self, head: bytes) -> bytes:
        """The request body announced by `head`'s Content-Length (0 if none)."""
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                return await asyncio.wait_for(self.reader.readexactly(int(value)), HEAD_WAIT)
        return b""

    def write(self, data: bytes) -> None:
        """Queues `data`; raises ConnectionResetError once the client has gone, so an endless
        script ends with the connection."""
        if self.writer.transport.is_closing():
            raise ConnectionResetError("the client closed the connection")
        self.sent += len(data)
        self.writer.write(data)

    async def drain(self) -> None:
        await self.writer.drain()

    async def wait_eof(self, timeout: float | None = None) -> bool:
        """Reads and discards until the client closes or resets; True if it did within
        `timeout` (the script's `hold` if None)."""

        async def until_eof() -> None:
            while await self.reader.read(65536):
                pass

        try:
            await asyncio.wait_for(until_eof(), timeout or self.server.hold)
        except ConnectionError:
            pass
        except asyncio.TimeoutError:
            return False
        return True

    def closed_by_peer(self) -> bool:
        """Whether the client already closed (no wait)."""
        return self.reader.at_eof() or self.writer.transport.is_closing()


Script = Callable[[Conn], Awaitable[None]]


class Scripted(StreamServer):
    def __init__(
        self,
        script: Script,
        host: str = HOST,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 64,
        hold: float = 20.0,
    ) -> None:
        self.script = script
        self.hold = hold
        self.max_connections = max_connections
        self.connections = 0  # accepted, including those refused past max_connections
        self.requests: list[tuple[int, bytes]] = []  # (connection index, request head)
        self.ended: dict[int, float] = {}  # connection index -> when its script ended
        self.errors: list[BaseException] = []  # unexpected exceptions raised by the script
        super().__init__("scripted", host, ssl_context)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        index = self.connections
        try:
            if index <= self.max_connections:
                conn = Conn(self, index, reader, writer)
                await asyncio.wait_for(self.script(conn), self.hold)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError):
            pass
        except asyncio.CancelledError:  # the server is closing: end quietly
            pass
        except Exception as e:  # recorded for the test to show, never silently lost
            self.errors.append(e)
        finally:
            self.ended[index] = time.monotonic()
            writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 2)
        except (ConnectionError, OSError, asyncio.TimeoutError, asyncio.CancelledError):
            pass

    async def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Polls `predicate` (set from the server's thread) until true or `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        return predicate()


async def answer(conn: Conn, response: bytes) -> None:
    """A script step: read one request head, send `response`, flush."""
    if await conn.read_head() is None:
        return
    conn.write(response)
    await conn.drain()


def response(
    status: str = "200 OK", headers: list[tuple[str, str]] | None = None, body: bytes = b""
) -> bytes:
    """An HTTP/1.1 response with exactly these header lines (and Content-Length if not given)."""
    lines = [f"HTTP/1.1 {status}"]
    hs = list(headers or [])
    if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in hs):
        hs.append(("Content-Length", str(len(body))))
    lines += [f"{k}: {v}" for k, v in hs]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
