"""The generated crawl site (sitegen.Site) served by aiohttp.web in a subprocess, on two
origins: the site on 127.0.0.1 and an "offsite" origin on 127.0.0.2 that a crawl must never
contact. Every request is logged; tests read the log over HTTP.

    site = SiteServer(n_pages=3000)      # or the `site` / `offsite` / `delay_site` fixtures
    site.url("/p/1")                     # "http://127.0.0.1:PORT/p/1"
    site.reset()                         # empty the log, zero the in-flight maxima, default config
    ... crawl ...
    site.fetched()                       # Counter of canonical targets fetched on the site
    assert site.fetched() == Counter(site.expected())    # exactly the reachable set, once each
    site.requests()                      # [{"method", "target", "host", "agent", "origin",
                                         #   "start", "end", "status"}, ...] in arrival order
    site.max_in_flight()                 # most requests in flight at once on the site origin
                                         # (pages other than /slow/ are answered without
                                         # yielding unless page_delay is configured)
    site.offsite.requests()              # what reached 127.0.0.2 (must stay empty)
    site.configure(crawl_delay=1, robots_status=500, slow_delay=0.5, page_delay=0.01)
                                         # until reset()
    site.close()

"target" is the raw request target (path and query exactly as sent, e.g. the GBK escapes);
start/end are time.monotonic() in the server process, a system-wide clock on Linux, so they
compare with the test's own. Control endpoints (not linked, never logged): GET /__log,
GET /__reset, GET /__config?crawl_delay=&robots_status=&slow_delay=&page_delay=.

A subprocess, not a loop thread: the crawler under test gets the CPU and the GIL to itself, its
RSS is its own, and a crawler killed with -9 in a child leaves the server and its log intact.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from .net import HOST, bound_socket, wait_serving
from .sitegen import CONTROL_PREFIX, META_PATHS, OFFSITE_HOST, Resource, Site, canonical_target

ROOT = Path(__file__).resolve().parents[2]
CACHE_MAX = 50_000  # rendered pages kept by raw target (a crawl asks for each about once)


# ---- the server process ----------------------------------------------------------------------


class _State:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.defaults = (site.crawl_delay, site.slow_delay)
        self.robots_status = 200
        self.page_delay = 0.0
        self.log: list[dict[str, Any]] = []
        self.in_flight: defaultdict[str, int] = defaultdict(int)
        self.max_in_flight: defaultdict[str, int] = defaultdict(int)
        self.cache: dict[str, tuple[Resource, bytes]] = {}  # raw target -> page (not robots)

    def reset(self) -> None:
        self.log.clear()
        self.max_in_flight.clear()
        self.max_in_flight.update(self.in_flight)
        self.site.crawl_delay, self.site.slow_delay = self.defaults
        self.robots_status = 200
        self.page_delay = 0.0


def _offsite_resource(site: Site, target: str) -> Resource:
    # what a crawler that wrongly leaves the site would find: more offsite links, and the site
    path = canonical_target(target).partition("?")[0]
    if path == "/robots.txt":
        return Resource(content_type="text/plain", body=b"User-agent: *\nAllow: /\n")
    return Resource(title=f"Offsite {path}", links=[path + "/more", f"{site.base}/p/0"])


def build_app(state: _State) -> Any:
    from aiohttp import web

    async def control(request: web.Request) -> web.Response:
        name = request.path[len(CONTROL_PREFIX) :]
        if name == "log":
            return web.json_response(
                {
                    "requests": state.log,
                    "in_flight": dict(state.in_flight),
                    "max_in_flight": dict(state.max_in_flight),
                }
            )
        if name == "reset":
            state.reset()
            return web.json_response({"ok": True})
        if name == "config":
            q = request.query
            if "crawl_delay" in q:
                state.site.crawl_delay = float(q["crawl_delay"]) if q["crawl_delay"] else None
            if "slow_delay" in q:
                state.site.slow_delay = float(q["slow_delay"])
            if "robots_status" in q:
                state.robots_status = int(q["robots_status"])
            if "page_delay" in q:
                state.page_delay = float(q["page_delay"])
            return web.json_response({"ok": True})
        return web.json_response({"error": "unknown control"}, status=404)

    async def handle(request: web.Request) -> web.StreamResponse:
        raw = request.raw_path
        if raw.startswith(CONTROL_PREFIX):
            return await control(request)
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        origin = "offsite" if sockname and sockname[0] == OFFSITE_HOST else "site"
        rec: dict[str, Any] = {
            "method": request.method,
            "target": raw,
            "host": request.headers.get("Host"),
            "agent": request.headers.get("User-Agent"),  # tells crawl workers apart
            "origin": origin,
            "start": time.monotonic(),
            "end": None,
            "status": None,
        }
        state.log.append(rec)
        state.in_flight[origin] += 1
        state.max_in_flight[origin] = max(state.max_in_flight[origin], state.in_flight[origin])
        try:
            site = state.site
            hit = state.cache.get(raw) if origin == "site" else None
            if hit is None:
                if origin == "offsite":
                    r = _offsite_resource(site, raw)
                elif raw.split("?", 1)[0] == "/robots.txt":  # configurable: never cached
                    r = site.resource(raw)
                    if state.robots_status != 200:
                        r = Resource(status=state.robots_status, content_type="text/plain")
                        r.body = b""
                else:
                    r = site.resource(raw)
                    if len(state.cache) < CACHE_MAX:
                        state.cache[raw] = r, site.render(r)
                body = site.render(r)
            else:
                r, body = hit
            # both configurable, so read at request time
            delay = site.slow_delay if r.delay else state.page_delay
            if delay:
                await asyncio.sleep(delay)
            rec["status"] = r.status
            headers = {"Content-Type": r.content_type}
            if r.location is not None:
                headers["Location"] = r.location
            return web.Response(status=r.status, body=body, headers=headers)
        finally:
            state.in_flight[origin] -= 1
            rec["end"] = time.monotonic()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


async def _serve(state: _State, socks: list[socket.socket]) -> None:
    from aiohttp import web

    runner = web.AppRunner(build_app(state), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    for s in socks:
        await web.SockSite(runner, s).start()
    await asyncio.Event().wait()  # until the parent terminates us


def _main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--site-fd", type=int, required=True)
    ap.add_argument("--offsite-fd", type=int, required=True)
    ap.add_argument("--pages", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--crawl-delay", type=float, default=None)
    ap.add_argument("--slow-delay", type=float, default=0.2)
    ap.add_argument("--no-specials", action="store_true")
    a = ap.parse_args()
    socks = [socket.socket(fileno=a.site_fd), socket.socket(fileno=a.offsite_fd)]
    (h, p), (oh, op) = (s.getsockname() for s in socks)
    site = Site(
        a.pages,
        seed=a.seed,
        base=f"http://{h}:{p}",
        offsite=f"http://{oh}:{op}",
        crawl_delay=a.crawl_delay,
        slow_delay=a.slow_delay,
        specials=not a.no_specials,
    )
    asyncio.run(_serve(_State(site), socks))


# ---- the test side ---------------------------------------------------------------------------


class Origin:
    """One origin of a SiteServer: `site` or `offsite`."""

    def __init__(self, server: SiteServer, name: str, sock: socket.socket) -> None:
        self._server = server
        self.name = name
        self.host, self.port = sock.getsockname()[:2]
        self.base = f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def requests(self) -> list[dict[str, Any]]:
        return [r for r in self._server.log()["requests"] if r["origin"] == self.name]

    def max_in_flight(self) -> int:
        return int(self._server.log()["max_in_flight"].get(self.name, 0))


class SiteServer(Origin):
    def __init__(
        self,
        n_pages: int = 3000,
        *,
        seed: int = 7,
        crawl_delay: float | None = None,
        slow_delay: float = 0.2,
        specials: bool = True,
        timeout: float = 20.0,
    ) -> None:
        self._sock = bound_socket()
        self._off_sock = bound_socket(host=OFFSITE_HOST)
        super().__init__(self, "site", self._sock)
        self.offsite = Origin(self, "offsite", self._off_sock)
        self.site = Site(
            n_pages,
            seed=seed,
            base=self.base,
            offsite=self.offsite.base,
            crawl_delay=crawl_delay,
            slow_delay=slow_delay,
            specials=specials,
        )
        fds = (self._sock.fileno(), self._off_sock.fileno())
        cmd = [sys.executable, "-m", "tests.servers.site", "--site-fd", str(fds[0])]
        cmd += ["--offsite-fd", str(fds[1]), "--pages", str(n_pages), "--seed", str(seed)]
        cmd += ["--slow-delay", str(slow_delay)]
        if crawl_delay is not None:
            cmd += ["--crawl-delay", str(crawl_delay)]
        if not specials:
            cmd.append("--no-specials")
        self.proc = subprocess.Popen(
            cmd,
            pass_fds=fds,
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_serving(
                self.proc, lambda: self._get("/__log"), f"site server on {self.base}", timeout
            )
        except BaseException:
            self.close()
            raise

    def _get(self, path: str) -> Any:
        # no proxies from the environment: the control door is loopback only
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.base + path, timeout=10) as r:
            return json.loads(r.read())

    # -- the log and the controls

    def log(self) -> dict[str, Any]:
        """{"requests": [...], "in_flight": {origin: n}, "max_in_flight": {origin: n}}."""
        return self._get("/__log")  # type: ignore[no-any-return]

    def reset(self) -> None:
        self._get("/__reset")

    def configure(
        self,
        *,
        crawl_delay: float | str | None = "",
        robots_status: int | None = None,
        slow_delay: float | None = None,
        page_delay: float | None = None,
    ) -> None:
        """Change the served robots.txt (Crawl-delay, or a non-200 status), the /slow/ delay
        and a delay before every other answer (page_delay: a crawl that lasts long enough to
        be killed midway, concurrency visible on every page) until the next reset().
        crawl_delay=None removes the Crawl-delay line."""
        q = []
        if crawl_delay != "":
            q.append(f"crawl_delay={'' if crawl_delay is None else crawl_delay}")
        if robots_status is not None:
            q.append(f"robots_status={robots_status}")
        if slow_delay is not None:
            q.append(f"slow_delay={slow_delay}")
        if page_delay is not None:
            q.append(f"page_delay={page_delay}")
        self._get("/__config?" + "&".join(q))

    def fetched(self, origin: str = "site", *, meta: bool = False) -> Counter[str]:
        """Canonical targets requested on `origin`, with counts; robots.txt and the sitemap
        files (sitegen.META_PATHS) are left out unless `meta`."""
        out: Counter[str] = Counter()
        for r in self.log()["requests"]:
            if r["origin"] != origin:
                continue
            t = canonical_target(r["target"])
            if meta or t.partition("?")[0] not in META_PATHS:
                out[t] += 1
        return out

    def expected(self, start: str | list[str] = "/", **kw: Any) -> set[str]:
        """sitegen.Site.expected for this server (see sitegen.expected_pages)."""
        return self.site.expected(start, **kw)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stderr:
            self.proc.stderr.close()
        self._sock.close()
        self._off_sock.close()

    def __enter__(self) -> SiteServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["HOST", "Origin", "SiteServer"]

if __name__ == "__main__":
    _main()
