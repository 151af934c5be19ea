"""A raw-socket HTTP server for exact bytes: what a well-behaved framework never sends.

The request head is read (bounded), the path picks the behaviour; every connection serves one
request. Paths:

  /ok                            200, "ok", Connection: close
  /bytes/{name}                  exactly the bytes registered with `raw.register(name, data)`
  /drip?n=20&interval=0.05       Content-Length n, then one b"x" per interval
  /reset?sent=100&length=1000    Content-Length `length`, `sent` bytes, then a TCP RST
  /malformed                     an invalid status line
  /garbage                       binary junk instead of HTTP
  /headers-then-close            Content-Length 100, then FIN with no body
  /headers-then-hang?key=K       Content-Length 100, no body, waits for the client to hang up
  /silent?key=K                  reads the request, never answers, waits for the client to hang up
  /reset-first?key=K&n=2         the first n connections for K get an RST, then 200 "ok"

`raw.closed(key)` / `await raw.wait_closed(key)`: did the client hang up (for timeouts and
cancellation tests). `raw.hits[key]` counts connections per key.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

from .loop import StreamServer

MAX_HEAD = 64 * 1024
HOLD_MAX = 60.0  # a held connection is dropped after this long, whatever the client does


def _rst(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class RawServer(StreamServer):
    def __init__(self) -> None:
        self._registered: dict[str, bytes] = {}
        self.hits: defaultdict[str, int] = defaultdict(int)
        self._closed: dict[str, float] = {}
        self.requests: list[bytes] = []
        super().__init__("raw-server")

    def register(self, name: str, data: bytes) -> str:
        """Serve `data` verbatim at /bytes/{name}; returns the URL."""
        self._registered[name] = data
        return self.url(f"/bytes/{name}")

    def closed(self, key: str) -> bool:
        return key in self._closed

    async def wait_closed(self, key: str, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        # polling on purpose: the close is recorded on another thread's loop
        while time.monotonic() < deadline and key not in self._closed:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        return key in self._closed

    def wait_closed_sync(self, key: str, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and key not in self._closed:
            time.sleep(0.02)
        return key in self._closed

    async def _hold(self, reader: asyncio.StreamReader, key: str) -> None:
        """Wait for EOF/reset from the client (bounded), then record the close for `key`."""

        async def drain_until_eof() -> None:
            while await reader.read(65536):
                pass

        try:
            await asyncio.wait_for(drain_until_eof(), HOLD_MAX)
        except (ConnectionError, asyncio.TimeoutError):
            pass
        self._closed[key] = time.monotonic()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            asyncio.TimeoutError,
        ):
            pass
        finally:
            if not writer.transport.is_closing():
                writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        if len(head) > MAX_HEAD:
            return
        self.requests.append(head)
        target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
        parts = urlsplit(target)
        path = parts.path
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        key = q.get("key", path)
        self.hits[key] += 1
        w = writer.write

        if path == "/ok":
            w(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        elif path.startswith("/bytes/"):
            w(self._registered[path[len("/bytes/") :]])
        elif path == "/drip":
            n, interval = int(q.get("n", "20")), float(q.get("interval", "0.05"))
            w(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n" % n
            )
            for _ in range(n):
                await writer.drain()
                await asyncio.sleep(interval)
                w(b"x")
        elif path == "/reset":
            sent, length = int(q.get("sent", "100")), int(q.get("length", "1000"))
            w(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % length + b"y" * sent)
            await writer.drain()
            await asyncio.sleep(0.05)
            _rst(writer)
            return
        elif path == "/malformed":
            w(b"HTTP/1.1 abc Not A Status\r\nContent-Length: 0\r\n\r\n")
        elif path == "/garbage":
            w(b"\x00\x01\x02 this is not http \xff\xfe\r\n\r\n")
        elif path == "/headers-then-close":
            w(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        elif path == "/headers-then-hang":
            w(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
            await writer.drain()
            await self._hold(reader, key)
        elif path == "/silent":
            await self._hold(reader, key)
        elif path == "/reset-first":
            if self.hits[key] <= int(q.get("n", "2")):
                _rst(writer)
                return
            w(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        else:
            w(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
