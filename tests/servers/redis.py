"""Private redis-server processes on 127.0.0.1 for the shared-frontier tests (Debian's
redis-server, 7.x; never the system service): each with its own free port, temporary data
directory and log.

    with RedisServer(appendonly=True) as r:   # or the `redis_server` fixture (FLUSHALL per test)
        r.url                                  # "redis://127.0.0.1:PORT/0"
        r.cli("SET", "k", "v")                 # redis-cli against it: its stdout, stripped
        r.restart(down=1.0)                    # SHUTDOWN (AOF flushed), 1 s down, same port/dir
        r.kill()                               # SIGKILL; r.start() brings it back
    with RedisCluster(masters=3) as c:         # or the `redis_cluster` fixture
        c.url                                  # "redis+cluster://127.0.0.1:P1,127.0.0.1:P2,..."
        c.cli("SET", "k", "v")                 # redis-cli -c against the first master

Readiness is a PING answered with PONG (not LOADING), polled for a bounded time; a server that
exits or does not answer fails with the tail of its log. A cluster is ready when every node's
CLUSTER INFO says cluster_state:ok with all slots assigned and every node known.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .net import HOST, closed_port, server_binary

# what brings the binaries (make system-deps installs it)
PACKAGES = "redis-server"

REDIS_SERVER = "redis-server"
REDIS_CLI = "redis-cli"


class RedisServer:
    """One redis-server on 127.0.0.1. `cluster=True` starts it with cluster-enabled (see
    RedisCluster). Started by the constructor; `close()` stops it and removes its directory."""

    def __init__(
        self,
        *,
        appendonly: bool = True,
        cluster: bool = False,
        timeout: float = 15.0,
        data_dir: Path | None = None,
    ) -> None:
        self.server_bin = server_binary(REDIS_SERVER, PACKAGES)
        self.cli_bin = server_binary(REDIS_CLI, PACKAGES)
        self.appendonly = appendonly
        self.cluster = cluster
        self.timeout = timeout
        self._own_dir = data_dir is None
        self.dir = Path(data_dir or tempfile.mkdtemp(prefix="ferrocrawl-redis-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_file = self.dir / "redis.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.bus_port = 0
        try:
            self._start_on_a_free_port()
        except BaseException:
            self.close()
            raise

    # -- addresses

    @property
    def addr(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"redis://{self.addr}/0"

    # -- process control

    def _config(self) -> str:
        lines = [
            f"bind {HOST}",
            f"port {self.port}",
            f"dir {self.dir}",
            f"logfile {self.log_file}",
            "daemonize no",
            "supervised no",
            'save ""',
            f"appendonly {'yes' if self.appendonly else 'no'}",
            "appendfsync everysec",
            "protected-mode yes",
            "databases 16",
        ]
        if self.cluster:
            lines += [
                "cluster-enabled yes",
                f"cluster-config-file {self.dir / 'nodes.conf'}",
                f"cluster-port {self.bus_port}",  # explicit: port + 10000 may not exist
                "cluster-node-timeout 5000",
            ]
        return "\n".join(lines) + "\n"

    def _start_on_a_free_port(self) -> None:
        for attempt in range(3):
            # a port the kernel chose, released: the server binds it itself, and a start
            # that finds it taken in between tries another
            self.port = closed_port()
            self.bus_port = closed_port() if self.cluster else 0
            try:
                self.start()
                return
            except RuntimeError as e:
                if "Address already in use" not in str(e) or attempt == 2:
                    raise

    def start(self) -> None:
        """Start (again) on the same port and directory; waits until it answers PING."""
        if self.running:
            return
        conf = self.dir / "redis.conf"
        conf.write_text(self._config())
        out = open(self.dir / "stdout.log", "ab")  # startup errors before the logfile opens
        try:
            self.proc = subprocess.Popen(
                [self.server_bin, str(conf)],
                cwd=self.dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a ^C in the test run is the tests' to handle
            )
        finally:
            out.close()
        self._wait_ready()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _ping(self) -> bytes:
        with socket.create_connection((HOST, self.port), timeout=1.0) as s:
            s.sendall(b"PING\r\n")
            return s.recv(128)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.timeout
        last = ""
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"redis-server on {self.addr} exited with {self.proc.returncode}:\n"
                    + self.log_tail()
                )
            try:
                reply = self._ping()
                if reply.startswith(b"+PONG"):
                    return
                last = reply.decode(errors="replace").strip()  # -LOADING while reading the AOF
            except OSError as e:
                last = str(e)
            time.sleep(0.05)
        self.kill()
        raise TimeoutError(
            f"redis-server on {self.addr} not ready after {self.timeout}s ({last}):\n"
            + self.log_tail()
        )

    def log_tail(self, lines: int = 20) -> str:
        out = []
        for f in (self.dir / "stdout.log", self.log_file):
            if f.exists():
                tail = f.read_text(errors="replace").splitlines()[-lines:]
                out += [f"--- {f.name}", *tail]
        return "\n".join(out)

    def cli(self, *args: str | int | float, cluster: bool = False, timeout: float = 15.0) -> str:
        """Run redis-cli against this server (-c: follow cluster redirects); its stdout, with
        the trailing newline stripped. Fails if redis-cli fails (a Redis error reply is output,
        "ERR ...", not a failure)."""
        cmd = [self.cli_bin, "-h", HOST, "-p", str(self.port)]
        if cluster:
            cmd.append("-c")
        cmd += [str(a) for a in args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
        return r.stdout.rstrip("\n")

    def info(self, section: str = "") -> dict[str, str]:
        """INFO [section] as a flat dict of its key:value lines."""
        out = self.cli("INFO", *([section] if section else []))
        return dict(
            line.split(":", 1)
            for line in out.splitlines()
            if ":" in line and not line.startswith("#")
        )

    def stop(self, timeout: float = 15.0) -> None:
        """Graceful SHUTDOWN (the AOF is flushed and fsynced; without AOF an RDB is saved), then
        wait for the process to exit."""
        if not self.running:
            return
        assert self.proc is not None
        try:
            self.cli("SHUTDOWN", *(() if self.appendonly else ("SAVE",)), timeout=timeout)
        except (RuntimeError, subprocess.TimeoutExpired):
            self.proc.send_signal(signal.SIGTERM)  # also a graceful shutdown
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired as e:
            self.kill()
            tail = self.log_tail()
            raise RuntimeError(f"redis-server on {self.addr} ignored SHUTDOWN:\n{tail}") from e

    def restart(self, down: float = 0.0) -> None:
        """stop() then start() on the same port with the same directory, after `down` seconds:
        what the AOF held is there again."""
        self.stop()
        if down:
            time.sleep(down)
        self.start()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RedisCluster:
    """`masters` cluster-enabled redis-servers joined with `redis-cli --cluster create
    --cluster-replicas 0` (3 at least: redis-cli refuses fewer)."""

    def __init__(
        self, masters: int = 3, *, appendonly: bool = False, timeout: float = 30.0
    ) -> None:
        self.nodes: list[RedisServer] = []
        try:
            for _ in range(masters):
                self.nodes.append(RedisServer(appendonly=appendonly, cluster=True))
            cli = self.nodes[0].cli_bin
            cmd = [cli, "--cluster", "create", *(n.addr for n in self.nodes)]
            cmd += ["--cluster-replicas", "0", "--cluster-yes"]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
            if r.returncode != 0:
                raise RuntimeError(f"redis-cli --cluster create failed:\n{r.stdout}\n{r.stderr}")
            self._wait_ok(timeout)
        except BaseException:
            self.close()
            raise

    def _wait_ok(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        want = {
            "cluster_state": "ok",
            "cluster_slots_ok": "16384",
            "cluster_known_nodes": str(len(self.nodes)),
        }
        bad: dict[str, dict[str, str]] = {}
        while time.monotonic() < deadline:
            bad = {}
            for n in self.nodes:
                info = dict(
                    line.strip().split(":", 1)
                    for line in n.cli("CLUSTER", "INFO").splitlines()
                    if ":" in line
                )
                if any(info.get(k) != v for k, v in want.items()):
                    bad[n.addr] = {k: info.get(k, "?") for k in want}
            if not bad:
                return
            time.sleep(0.1)
        tails = "\n".join(n.log_tail(10) for n in self.nodes)
        raise TimeoutError(f"cluster not ok after {timeout}s: {bad}\n{tails}")

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(n.addr for n in self.nodes)

    @property
    def ports(self) -> list[int]:
        return [n.port for n in self.nodes]

    def cli(self, *args: str | int | float) -> str:
        """redis-cli -c against the first master (keys are routed to their slot's master)."""
        return self.nodes[0].cli(*args, cluster=True)

    def flushall(self) -> None:
        for n in self.nodes:
            n.cli("FLUSHALL")

    def close(self) -> None:
        for n in self.nodes:
            n.close()

    def __enter__(self) -> RedisCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["RedisCluster", "RedisServer"]
