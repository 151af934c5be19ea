"""Session-scoped local servers (see tests/servers/) and small helpers.

Fixtures:
    server, server2   the aiohttp behaviour app on two origins (127.0.0.1, two ports)
    tls_server        the same app over HTTPS; .ca_file, .other_ca_file
    raw_server        exact-bytes server
    httpbin           httpbin under gunicorn
    http_proxy        HTTP proxy (records requests); http_proxy_auth requires user:pass
    socks_proxy       SOCKS5 proxy (records connections)
    key               a fresh per-test key for the servers' counters
    site, offsite     the generated crawl site (tests/servers/site.py, 3000 pages) on 127.0.0.1
                      and its offsite origin on 127.0.0.2; one server per session, its log
                      and config reset for each test
    delay_site        a 6-page site whose robots.txt says Crawl-delay: 1 (reset per test)
    redis_server      a private redis-server (appendonly) on 127.0.0.1: one per session,
                      started again if a test stopped it, FLUSHALL before each test
    redis_cluster     three cluster-enabled redis-servers (3 masters, no replicas): one per
                      session, FLUSHALL on every master before each test
    mariadb_server    a private mariadbd on 127.0.0.1 (tests/servers/mariadb.py): one per session
    mariadb           the same, started again if a test stopped it, database `test` dropped and
                      created again before each test; .url, .params, .query(sql)
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
from tests.servers.mariadb import MariaDBServer
from tests.servers.redis import RedisCluster, RedisServer
from tests.servers.site import Origin, SiteServer
from tests.servers.state import ServerState

SITE_PAGES = 3000


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


@pytest.fixture(scope="session")
def site_server() -> Iterator[SiteServer]:
    with SiteServer(SITE_PAGES) as srv:
        yield srv


@pytest.fixture
def site(site_server: SiteServer) -> SiteServer:
    """The crawl site with an empty log, zeroed in-flight maxima and its default config."""
    site_server.reset()
    return site_server


@pytest.fixture
def offsite(site: SiteServer) -> Origin:
    """127.0.0.2: where the site's offsite links and redirects point; a crawl never goes there."""
    return site.offsite


@pytest.fixture(scope="session")
def delay_site_server() -> Iterator[SiteServer]:
    with SiteServer(6, crawl_delay=1, specials=False) as srv:
        yield srv


@pytest.fixture
def delay_site(delay_site_server: SiteServer) -> SiteServer:
    delay_site_server.reset()
    return delay_site_server


@pytest.fixture(scope="session")
def redis_session() -> Iterator[RedisServer]:
    with RedisServer(appendonly=True) as srv:
        yield srv


@pytest.fixture
def redis_server(redis_session: RedisServer) -> RedisServer:
    """The session's redis-server, running (a test may have stopped or killed it) and empty."""
    redis_session.start()
    redis_session.cli("FLUSHALL")
    return redis_session


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDBServer]:
    with MariaDBServer() as srv:
        yield srv


@pytest.fixture
def mariadb(mariadb_server: MariaDBServer) -> MariaDBServer:
    """The session's mariadbd, running (a test may have stopped or killed it), with an empty
    database `test`."""
    mariadb_server.start()
    mariadb_server.reset()
    return mariadb_server


@pytest.fixture(scope="session")
def redis_cluster_session() -> Iterator[RedisCluster]:
    with RedisCluster(masters=3) as cluster:
        yield cluster


@pytest.fixture
def redis_cluster(redis_cluster_session: RedisCluster) -> RedisCluster:
    redis_cluster_session.flushall()
    return redis_cluster_session
