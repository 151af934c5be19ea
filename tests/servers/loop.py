"""A private asyncio event loop running in a daemon thread.

Every in-process server (aiohttp apps, raw sockets, proxies) gets its own loop thread, so the
servers keep serving whatever the test does with its own loop: uvloop, `asyncio.run` in a
sync test, a blocked loop, even a forked child talking to the parent's servers.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from .net import HOST, bound_socket

T = TypeVar("T")


class LoopThread:
    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"loop thread {name} did not start")

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()
        # drain whatever the stop left behind, then close
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run `coro` on the thread's loop and wait (from another thread) for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self, timeout: float = 10) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)


class StreamServer:
    """An asyncio stream server on a loop thread of its own: `_handle(reader, writer)` runs for
    every connection (subclasses define it, and set their state before calling `__init__`,
    which starts accepting). `base` is `http(s)://host:port`; `close()` stops it."""

    def __init__(
        self, name: str, host: str = HOST, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self._sock = bound_socket(host=host)
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        self.base = f"{'https' if ssl_context else 'http'}://{host}:{self.port}"
        self._ssl = ssl_context
        self._thread = LoopThread(f"{name}-{self.port}")
        self._server: asyncio.Server | None = None
        self._thread.run(self._start())

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, sock=self._sock, ssl=self._ssl)

    def url(self, path: str = "/") -> str:
        return self.base + path

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    def close(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
                await asyncio.sleep(0)

        self._thread.run(stop())
        self._thread.stop()
        self._sock.close()
