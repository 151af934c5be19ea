"""A SOCKS5 server (RFC 1928 CONNECT, optional RFC 1929 username/password) that records
the connections it made. Loopback targets only (anything else: reply 0x02, not allowed).

    socks = Socks5Proxy(auth=None)    # or ("user", "pass")
    socks.url                         # "socks5://127.0.0.1:PORT"
    socks.connections                 # [{"host", "port", "user"}, ...]
"""

from __future__ import annotations

import asyncio
import ipaddress
import struct
from typing import Any

from .loop import LoopThread
from .net import HOST, bound_socket, is_loopback
from .pipe import relay


class Socks5Proxy:
    def __init__(self, auth: tuple[str, str] | None = None) -> None:
        self.auth = auth
        self.connections: list[dict[str, Any]] = []
        self._tunnels: set[asyncio.Future[None]] = set()
        self._sock = bound_socket()
        self.port: int = self._sock.getsockname()[1]
        self.url = f"socks5://{HOST}:{self.port}"
        self._thread = LoopThread("socks5-proxy")
        self._server: asyncio.Server | None = None
        self._thread.run(self._start())

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, sock=self._sock)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(self._negotiate(reader, writer), 10)
        except (
            ConnectionError,
            OSError,
            asyncio.IncompleteReadError,
            asyncio.TimeoutError,
            ValueError,
        ):
            writer.close()

    async def _negotiate(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ver, nmethods = await reader.readexactly(2)
        if ver != 5:
            raise ValueError("not socks5")
        methods = await reader.readexactly(nmethods)
        want = 0x02 if self.auth else 0x00
        if want not in methods:
            writer.write(b"\x05\xff")
            await writer.drain()
            raise ValueError("no acceptable method")
        writer.write(bytes([5, want]))
        user = None
        if self.auth:
            _, ulen = await reader.readexactly(2)
            user = (await reader.readexactly(ulen)).decode()
            (plen,) = await reader.readexactly(1)
            password = (await reader.readexactly(plen)).decode()
            ok = (user, password) == self.auth
            writer.write(b"\x01" + (b"\x00" if ok else b"\x01"))
            if not ok:
                await writer.drain()
                raise ValueError("bad credentials")
        _, cmd, _, atyp = await reader.readexactly(4)
        if atyp == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif atyp == 3:
            (n,) = await reader.readexactly(1)
            host = (await reader.readexactly(n)).decode()
        elif atyp == 4:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        else:
            raise ValueError("bad address type")
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if cmd != 1 or not is_loopback(host):
            writer.write(b"\x05\x02\x00\x01" + bytes(6))  # connection not allowed by ruleset
            await writer.drain()
            raise ValueError("refused")
        up = await asyncio.open_connection(host, port)
        self.connections.append({"host": host, "port": port, "user": user})
        writer.write(b"\x05\x00\x00\x01" + bytes(4) + b"\x00\x00")
        await writer.drain()
        task = asyncio.ensure_future(relay((reader, writer), up))
        self._tunnels.add(task)
        task.add_done_callback(self._tunnels.discard)

    def close(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()

        self._thread.run(stop())
        self._thread.stop()
        self._sock.close()
