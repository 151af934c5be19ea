"""Start and stop a private nginx on 127.0.0.1 serving the benchmark site.

Everything (config, pid, logs, temp dirs) lives under PREFIX; nothing system-wide is touched.
open_file_cache stays off (it ran out of file handles in this container before).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

CONF = """\
{user}
worker_processes {workers};
daemon on;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; multi_accept on; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    types {{ text/html html; text/css css; text/plain txt; }}
    default_type application/octet-stream;
    client_body_temp_path {prefix}/tmp_body;
    proxy_temp_path {prefix}/tmp_proxy;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {root};
        location / {{ }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Nginx:
    def __init__(self, root: Path, prefix: Path, workers: int = 1) -> None:
        if shutil.which("nginx") is None:
            raise RuntimeError("nginx not found: apt-get install -y nginx-light")
        self.root, self.prefix = root.resolve(), prefix.resolve()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        for d in ("tmp_body", "tmp_proxy"):
            (self.prefix / d).mkdir(parents=True, exist_ok=True)
        user = ""
        if os.geteuid() == 0:  # workers must read the site wherever it is
            name = pwd.getpwuid(os.geteuid()).pw_name
            user = f"user {name};"
        self.conf = self.prefix / "nginx.conf"
        self.conf.write_text(
            CONF.format(
                user=user, workers=workers, prefix=self.prefix, port=self.port, root=self.root
            )
        )
        self.pidfile = self.prefix / "nginx.pid"

    def start(self, probe: str = "/index.html") -> None:
        subprocess.run(
            [
                "nginx",
                "-p",
                str(self.prefix),
                "-c",
                str(self.conf),
                "-e",
                str(self.prefix / "error.log"),
            ],
            check=True,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + probe, timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not answer on {self.base}: see {self.prefix}/error.log")

    def stop(self) -> None:
        if not self.pidfile.exists():
            return
        pid = int(self.pidfile.read_text().strip())
        try:
            os.kill(pid, signal.SIGQUIT)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def __enter__(self) -> Nginx:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
