"""Session-scoped local servers (see tests/servers/) and small helpers.

Fixtures:
    server, server2   the aiohttp behaviour app on two origins (127.0.0.1, two ports)
    tls_server        the same app over HTTPS; .ca_file, .other_ca_file
    raw_server        exact-bytes server
    httpbin           httpbin under gunicorn
    http_proxy        HTTP proxy (records requests); http_proxy_auth requires user:pass
    socks_proxy       SOCKS5 proxy (records connections)
    key               a fresh per-test key for the servers' counters
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import (
    AppServer,
    HttpbinServer,
    HttpProxy,
    RawServer,
    Socks5Proxy,
    TlsServer,
)
from tests.servers.state import ServerState


@pytest.fixture(scope="session")
def server() -> Iterator[AppServer]:
    with AppServer.start("app") as srv:
        yield srv


@pytest.fixture(scope="session")
def server2() -> Iterator[AppServer]:
    """A second origin (other port): cross-origin redirects, limit_per_host."""
    with AppServer.start("app2") as srv:
        yield srv


@pytest.fixture(scope="session")
def tls_server() -> Iterator[TlsServer]:
    srv = TlsServer.start()
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def raw_server() -> Iterator[RawServer]:
    srv = RawServer()
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def httpbin() -> Iterator[HttpbinServer]:
    srv = HttpbinServer()
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def http_proxy() -> Iterator[HttpProxy]:
    p = HttpProxy()
    yield p
    p.close()


@pytest.fixture(scope="session")
def http_proxy_auth() -> Iterator[HttpProxy]:
    p = HttpProxy(auth=("puser", "ppass"))
    yield p
    p.close()


@pytest.fixture(scope="session")
def socks_proxy() -> Iterator[Socks5Proxy]:
    p = Socks5Proxy()
    yield p
    p.close()


@pytest.fixture
def key() -> str:
    return ServerState.key()
