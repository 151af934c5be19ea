"""The behaviour app (aiohttp.web) and a server that runs it on 127.0.0.1 in a loop thread.

    srv = AppServer.start()            # or the `server` / `server2` fixtures
    srv.url("/echo?a=1")               # "http://127.0.0.1:PORT/echo?a=1"
    key = srv.key(); ...; srv.state.hits[key]
    srv.close()

Routes live in routes_*.py, one topic per file; each file's docstring lists its endpoints.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
from pathlib import Path

from aiohttp import web

from . import (
    routes_content,
    routes_cookies_auth,
    routes_echo,
    routes_files,
    routes_redirect,
    routes_slow,
    routes_status,
)
from .loop import LoopThread
from .net import HOST, bound_socket
from .state import FILES_DIR, STATE, ServerState


def build_app(state: ServerState, files_dir: Path) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[STATE] = state
    app[FILES_DIR] = files_dir
    for mod in (
        routes_echo,
        routes_redirect,
        routes_status,
        routes_slow,
        routes_content,
        routes_files,
        routes_cookies_auth,
    ):
        app.add_routes(mod.routes)
    return app


class AppServer:
    def __init__(self, name: str, ssl_context: ssl.SSLContext | None) -> None:
        self.name = name
        self.state = ServerState()
        self._files = Path(tempfile.mkdtemp(prefix=f"fc-{name}-"))
        routes_files.write_files(self._files)
        self._sock = bound_socket()
        self.host = HOST
        self.port: int = self._sock.getsockname()[1]
        self.scheme = "https" if ssl_context else "http"
        self.base = f"{self.scheme}://{HOST}:{self.port}"
        self._thread = LoopThread(f"aiohttp-{name}")
        self._runner: web.AppRunner | None = None
        self._thread.run(self._start(ssl_context))

    async def _start(self, ssl_context: ssl.SSLContext | None) -> None:
        app = build_app(self.state, self._files)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock, ssl_context=ssl_context).start()

    @classmethod
    def start(cls, name: str = "app", ssl_context: ssl.SSLContext | None = None) -> AppServer:
        return cls(name, ssl_context)

    def url(self, path: str = "/") -> str:
        return self.base + path

    key = staticmethod(ServerState.key)

    def close(self) -> None:
        if self._runner is not None:
            self._thread.run(self._runner.cleanup())
            self._runner = None
        self._thread.stop()
        self._sock.close()
        shutil.rmtree(self._files, ignore_errors=True)

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
