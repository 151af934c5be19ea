"""Private MariaDB servers on 127.0.0.1 for the MySQL sink's tests, examples and benchmark
(Debian's mariadb-server-core, 10.11; never the system service): each with its own free port,
temporary data directory, Unix socket and log.

    with MariaDBServer() as m:                 # or the `mariadb` fixture (database `test` empty)
        m.url                                  # "mysql://ferro:ferro-pw@127.0.0.1:PORT/test"
        m.params                               # the same as keywords for aiomysql.connect()
        m.query("SELECT COUNT(*) FROM items")  # the mariadb client as root over the socket:
                                               #   [("42",)], every value a str (NULL: "NULL")
        m.restart(down=1.0)                    # graceful shutdown, 1 s down, same port/dir
        m.kill()                               # SIGKILL; m.start() brings it back

The data directory comes from `mariadb-install-db` (root without a password, no test database)
with a database `test` and a user `ferro`@`127.0.0.1` / `ferro`@`localhost` (password
`ferro-pw`, all privileges) created in the same bootstrap. The directories live on /dev/shm
when it has room (the bootstrap's fsyncs cost nothing there: 0.5 s, against 4-5 s on a disk
that a build keeps busy), and a process bootstraps once: every further server copies that
template (0.04 s). mariadbd is ready 0.15 s after it starts, so the first server of a process
takes ~0.7 s and the next ones ~0.2 s (2 cores, loaded). The server runs with small buffers
(32 MB buffer pool, 4 MB redo log), no binary log, utf8mb4 (without an option file MariaDB's
default is latin1) and innodb_flush_log_at_trx_commit=2: a commit reaches the OS at once, so
it survives kill().

Readiness is the server's handshake (protocol 10) on the TCP port, polled for a bounded time;
a server that exits or does not answer fails with the tail of its log.
"""

from __future__ import annotations

import atexit
import os
import platform
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .net import HOST, closed_port, server_binary

# what brings the binaries (make system-deps installs it)
PACKAGES = "mariadb-server-core mariadb-client-core"

MARIADBD = "mariadbd"
INSTALL_DB = "mariadb-install-db"
CLIENT = "mariadb"
USER, PASSWORD, DATABASE = "ferro", "ferro-pw", "test"

# run in the bootstrap, after the system tables (FLUSH PRIVILEGES: the bootstrap starts with
# the grant tables off, and CREATE USER needs them)
INIT_SQL = f"""\
FLUSH PRIVILEGES;
CREATE DATABASE {DATABASE};
CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';
CREATE USER '{USER}'@'localhost' IDENTIFIED BY '{PASSWORD}';
GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'localhost' WITH GRANT OPTION;
"""

# options shared by the bootstrap and the server: the redo log size is fixed at creation
ENGINE_OPTIONS = [
    "--innodb-buffer-pool-size=32M",
    "--innodb-log-file-size=4M",
    "--skip-log-bin",
    "--skip-name-resolve",
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_unicode_ci",
]
SERVER_OPTIONS = [
    "--innodb-flush-log-at-trx-commit=2",
    "--innodb-temp-data-file-path=ibtmp1:4M:autoextend",
    "--innodb-buffer-pool-dump-at-shutdown=OFF",
    "--innodb-buffer-pool-load-at-startup=OFF",
    "--performance-schema=OFF",
    "--max-connections=200",
]

_template: Path | None = None  # this process's initialised data directory, copied per server
SHM = Path("/dev/shm")
SHM_MIN_FREE = 1 << 30


def _scratch_root() -> str | None:
    """Where the data directories go: /dev/shm (tmpfs) when it is writable with 1 GiB free,
    else the temporary directory. On tmpfs an fsync costs nothing: mariadb-install-db takes
    0.5 s there and 4-5 s on a disk the machine's other jobs keep busy."""
    try:
        st = os.statvfs(SHM)
    except OSError:
        return None
    if os.access(SHM, os.W_OK) and st.f_bavail * st.f_frsize >= SHM_MIN_FREE:
        return str(SHM)
    return None


def _as_root() -> list[str]:
    # mariadbd refuses to run as root unless told so; as another user it runs as that user
    return ["--user=root"] if os.geteuid() == 0 else []


def _remove_template() -> None:
    if _template is not None:
        shutil.rmtree(_template.parent, ignore_errors=True)


def _initialised_template(timeout: float) -> Path:
    """mariadb-install-db once per process, into a directory removed at exit."""
    global _template
    if _template is not None and (_template / "mysql").is_dir():
        return _template
    parent = Path(tempfile.mkdtemp(prefix="ferrocrawl-mariadb-template-", dir=_scratch_root()))
    data = parent / "data"
    init = parent / "init.sql"
    sql = INIT_SQL
    host = platform.node()  # install-db also makes root@`uname -n`: drop it, same on every box
    if host and host not in ("localhost", "127.0.0.1", "::1") and "'" not in host:
        sql += f"DROP USER IF EXISTS 'root'@'{host}';\n"
    init.write_text(sql)
    cmd = [server_binary(INSTALL_DB, PACKAGES), "--no-defaults", f"--datadir={data}"]
    cmd += ["--auth-root-authentication-method=normal", "--skip-test-db"]
    cmd += [f"--extra-file={init}", *_as_root(), *ENGINE_OPTIONS]
    try:
        r = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as e:
        shutil.rmtree(parent, ignore_errors=True)
        raise TimeoutError(f"{INSTALL_DB} took more than {timeout}s") from e
    if r.returncode != 0:
        shutil.rmtree(parent, ignore_errors=True)
        tail = "\n".join((r.stdout + r.stderr).splitlines()[-20:])
        raise RuntimeError(f"{INSTALL_DB} failed ({r.returncode}):\n{tail}")
    if _template is None:
        atexit.register(_remove_template)
    _template = data
    return data


def _unescape(value: str) -> str:
    # the client's batch mode writes \0 \b \n \r \t \\ for those bytes
    if "\\" not in value:
        return value
    out, i = [], 0
    table = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "\\": "\\"}
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value):
            out.append(table.get(value[i + 1], value[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class MariaDBServer:
    """One mariadbd on 127.0.0.1. Started by the constructor; `close()` stops it and removes its
    directory."""

    def __init__(self, *, timeout: float = 30.0) -> None:
        self.server_bin = server_binary(MARIADBD, PACKAGES)
        self.client_bin = server_binary(CLIENT, PACKAGES)
        self.timeout = timeout
        self.dir = Path(tempfile.mkdtemp(prefix="ferrocrawl-mariadb-", dir=_scratch_root()))
        self.data_dir = self.dir / "data"
        self.socket = self.dir / "mysqld.sock"  # short: a Unix socket path has 107 bytes
        self.log_file = self.dir / "mariadb.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        try:
            shutil.copytree(_initialised_template(timeout), self.data_dir)
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
        return f"mysql://{USER}:{PASSWORD}@{self.addr}/{DATABASE}"

    @property
    def params(self) -> dict[str, str | int]:
        """host, port, user, password, db: keywords for aiomysql.connect() / create_pool()."""
        return {"host": HOST, "port": self.port, "user": USER, "password": PASSWORD, "db": DATABASE}

    # -- process control

    def _start_on_a_free_port(self) -> None:
        for attempt in range(3):
            # a port the kernel chose, released: the server binds it itself, and a start
            # that finds it taken in between tries another
            self.port = closed_port()
            try:
                self.start()
                return
            except RuntimeError as e:
                if "Address already in use" not in str(e) or attempt == 2:
                    raise

    def start(self) -> None:
        """Start (again) on the same port and directory; waits until it answers a handshake."""
        if self.running:
            return
        cmd = [self.server_bin, "--no-defaults", f"--datadir={self.data_dir}"]
        cmd += [f"--socket={self.socket}", f"--pid-file={self.dir / 'mariadbd.pid'}"]
        cmd += [f"--port={self.port}", f"--bind-address={HOST}", f"--log-error={self.log_file}"]
        cmd += [f"--tmpdir={self.dir}", *_as_root(), *ENGINE_OPTIONS, *SERVER_OPTIONS]
        out = open(self.dir / "stdout.log", "ab")  # errors before the log file opens
        try:
            self.proc = subprocess.Popen(
                cmd,
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

    def _greeting(self) -> bytes:
        # the server speaks first: a packet (3-byte length, sequence 0) whose first byte is the
        # protocol version, 10; an error packet (0xff) while it cannot take connections
        with socket.create_connection((HOST, self.port), timeout=1.0) as s:
            return s.recv(128)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.timeout
        last = ""
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"mariadbd on {self.addr} exited with {self.proc.returncode}:\n"
                    + self.log_tail()
                )
            try:
                reply = self._greeting()
                if len(reply) > 4 and reply[4] == 10:
                    return
                last = repr(reply[:64])
            except OSError as e:
                last = str(e)
            time.sleep(0.02)
        self.kill()
        raise TimeoutError(
            f"mariadbd on {self.addr} not ready after {self.timeout}s ({last}):\n" + self.log_tail()
        )

    def log_tail(self, lines: int = 20) -> str:
        out = []
        for f in (self.dir / "stdout.log", self.log_file):
            if f.exists():
                tail = f.read_text(errors="replace").splitlines()[-lines:]
                out += [f"--- {f.name}", *tail]
        return "\n".join(out)

    def query(
        self, sql: str, database: str | None = DATABASE, *, timeout: float = 30.0
    ) -> list[tuple[str, ...]]:
        """Run `sql` (one statement or several, `;`-separated) with the mariadb client as root
        over the Unix socket, in `database` (None: none); the rows of its result sets, every
        value a str as the client prints it (NULL is "NULL"). Fails on any SQL error."""
        cmd = [self.client_bin, "--no-defaults", f"--socket={self.socket}", "--user=root"]
        cmd += ["--batch", "--skip-column-names", "--default-character-set=utf8mb4"]
        if database:
            cmd.append(f"--database={database}")
        cmd += ["--execute", sql]
        r = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, check=False, encoding="utf-8"
        )
        if r.returncode != 0:
            raise RuntimeError(f"mariadb client failed ({r.returncode}) on {sql!r}: {r.stderr}")
        return [tuple(_unescape(v) for v in line.split("\t")) for line in r.stdout.splitlines()]

    def reset(self) -> None:
        """Drop and create the database `test` again (what the `mariadb` fixture does)."""
        self.query(f"DROP DATABASE IF EXISTS {DATABASE}; CREATE DATABASE {DATABASE}", None)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (a normal shutdown: InnoDB flushes everything), then wait for the exit."""
        if not self.running:
            return
        assert self.proc is not None
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired as e:
            self.kill()
            tail = self.log_tail()
            raise RuntimeError(f"mariadbd on {self.addr} ignored SIGTERM:\n{tail}") from e

    def restart(self, down: float = 0.0) -> None:
        """stop() then start() on the same port with the same directory, after `down` seconds:
        every committed row is there again."""
        self.stop()
        if down:
            time.sleep(down)
        self.start()

    def kill(self) -> None:
        """SIGKILL: no shutdown (start() runs InnoDB's crash recovery)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def close(self) -> None:
        try:
            self.stop()
        except RuntimeError:
            pass  # killed by stop(); the directory goes anyway
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> MariaDBServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["DATABASE", "PASSWORD", "USER", "MariaDBServer"]
