"""Loopback sockets, readiness checks and the server binaries the tests start. Everything binds
127.0.0.1; nothing else is reachable."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable

HOST = "127.0.0.1"


def bound_socket(backlog: int = 1024, host: str = HOST) -> socket.socket:
    """A listening TCP socket on `host` (127.0.0.1; any 127/8 address is on lo on Linux) with a
    kernel-chosen free port (no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(backlog)
    return sock


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connecting gets ECONNREFUSED)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    last: OSError | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError as e:
            last = e
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {HOST}:{port} after {timeout}s ({last})")


def is_loopback(host: str) -> bool:
    """Proxies only ever connect to loopback targets (the project's network rule)."""
    h = host.strip("[]").lower()
    return h in ("localhost", "::1") or h.startswith("127.")


def wait_serving(
    proc: subprocess.Popen[bytes], probe: Callable[[], object], name: str, timeout: float
) -> None:
    """Wait until `probe()` stops raising OSError; fail with the server's stderr if `proc`
    exits first, or after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"{name} exited with {proc.returncode}: {err}")
        try:
            probe()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{name} not ready after {timeout}s")


def server_binary(binary: str, packages: str) -> str:
    """The path of a Debian server binary (also looked up in /usr/sbin, off a user's PATH);
    missing, an error naming the `packages` that bring it."""
    path = shutil.which(binary) or shutil.which(binary, path="/usr/bin:/usr/sbin")
    if path is None:
        raise RuntimeError(f"{binary} not found: apt-get install {packages} (make system-deps)")
    return path
