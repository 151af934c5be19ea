"""httpbin (PyPI) under gunicorn on 127.0.0.1, as a subprocess; the `httpbin` fixture.

The listening socket is made here and handed to gunicorn as `fd://N`, so there is no race for
the port. Readiness = GET /get answers 200 (bounded wait); close() terminates, then kills.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

from .net import HOST, bound_socket, wait_serving


class HttpbinServer:
    def __init__(self, workers: int = 2, timeout: float = 30.0) -> None:
        self._sock = bound_socket()
        self.port: int = self._sock.getsockname()[1]
        self.base = f"http://{HOST}:{self.port}"
        fd = self._sock.fileno()
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "httpbin:app",
                "--bind",
                f"fd://{fd}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                "8",
                "--log-level",
                "warning",
                "--graceful-timeout",
                "1",
                "--timeout",
                "60",
            ],
            pass_fds=(fd,),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_serving(self.proc, self._probe, f"gunicorn httpbin on {self.base}", timeout)
        except BaseException:
            self.close()
            raise

    def _probe(self) -> None:
        with urllib.request.urlopen(self.url("/get"), timeout=2) as r:
            if r.status != 200:
                raise OSError(f"httpbin answered {r.status}")

    def url(self, path: str = "/") -> str:
        return self.base + path

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stderr:
            self.proc.stderr.close()
        self._sock.close()
