"""The generated crawl site as pure data: pages, their links, robots rules, sitemaps, and the
exact set of URLs a correct crawl fetches (`expected_pages`). No I/O; site.py serves it.

Families (B = the site's origin, O = the offsite origin):
    /                 home: every URL-variant, policy and redirect case below, once
    /p/I              I in [0, n_pages): ~10 links each (next page + 9 seeded), in mixed forms
                      (root-relative, relative, ../, absolute, #fragment, upper-case scheme and
                      host); some pages add a 404, an onsite redirect, an offsite and a
                      robots-disallowed link; any query string serves the same page
    /r/...            redirects: 301 to a page also linked directly, 302 to an absolute URL
                      with a fragment, a chain of two, offsite, into /private/, to itself,
                      relative Location; /r/p/I 301s to /p/(7*I mod n)
    /gbk, /gbk-meta   GBK pages (charset in the header / only in <meta>) linking /s?q=<Chinese>
                      (query in GBK) and /zh/<Chinese> (path in UTF-8, as browsers do)
    /s?q=..           200 only for the GBK percent-encoding of a known word, else 404
    /private/...      robots: Disallow /private/, Allow /private/open, Disallow /*.pdf$
    /sm/..., /smc/... reachable only from the sitemaps (robots Sitemap: index -> a gzip
                      sitemap and a plain one; /sitemap.xml), /smc/ only through /sm/
    /slow/            not linked from /: SLOW_PAGES pages that each take `slow_delay` seconds
    /tree/            not linked from /: a ternary tree (each node has one depth) for max_depth
    /missing/...      404 (plain text, no links)
    also linked from /: /t/~home (as ~, %7e, %7E), /Case/Page and /case/page (two pages),
    /base-test (<base href="/based/">), /area/target (<area>), /files/notes.txt (text/plain),
    /files/report.pdf (robots-disallowed) and ?download=1 (allowed), "", "#top", " /p/6 "
Never fetched by a crawler: <link>, <img>, <script> URLs, mailto:, javascript:, offsite URLs.
"""

from __future__ import annotations

import functools
import gzip
import random
import re
import string
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

SITE_HOST = "127.0.0.1"
OFFSITE_HOST = "127.0.0.2"
# placeholders when no server runs (expected_pages): only paths matter to the result
DEFAULT_BASE = f"http://{SITE_HOST}:8000"
DEFAULT_OFFSITE = f"http://{OFFSITE_HOST}:8001"

SLOW_PAGES = 16
TREE_BRANCH = 3
TREE_DEPTH = 4
SITEMAP_GZ_PAGES = 20  # /sm/0 .. /sm/19 in the gzip sitemap
SITEMAP_MORE = ("more-0", "more-1")  # in the plain sitemap the index also lists
SITEMAP_XML = ("x0", "x1")  # in /sitemap.xml (not listed by robots.txt)
# what the crawler reads besides pages: never part of the expected set
META_PATHS = frozenset(
    {
        "/robots.txt",
        "/sitemap.xml",
        "/sitemap_index.xml",
        "/sitemaps/pages.xml.gz",
        "/sitemaps/more.xml",
    }
)
NOT_FOUND = b"not found\n"
CONTROL_PREFIX = "/__"  # /__log, /__reset, /__config: the tests' side door, never logged

# /s serves these words only when the query is their GBK percent-encoding
GBK_WORDS = ("中文", "汉字")
ROBOTS_RULES: tuple[tuple[bool, str], ...] = (  # (allow, pattern) for User-agent: *
    (False, "/private/"),
    (True, "/private/open"),
    (False, "/*.pdf$"),
)

# ---- URLs: resolution as a browser does it, and the canonical form ---------------------------

UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_HEX = frozenset(string.hexdigits)
_ESCAPE = frozenset(' "<>`{}|\\^')
_NEEDS_ESCAPE = re.compile(r"[^!#-;=?-_a-z~]|[\\^]")  # the fast path's test: anything not plain
_SIMPLE_HREF = re.compile(r"/[A-Za-z0-9/_-]*")  # root-relative, nothing to normalise


def _encode(s: str, encoding: str) -> str:
    """Percent-encode what cannot appear raw in a URL (non-ASCII in `encoding`, controls, space)."""
    if not _NEEDS_ESCAPE.search(s):
        return s
    out = []
    for c in s:
        if ord(c) > 126 or ord(c) < 33 or c in _ESCAPE:
            out.extend(f"%{b:02X}" for b in c.encode(encoding, "xmlcharrefreplace"))
        else:
            out.append(c)
    return "".join(out)


def _norm_escapes(s: str) -> str:
    """Decode escapes of unreserved characters, upper-case the others, escape a stray %."""
    if "%" not in s:
        return s
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "%":
            h = s[i + 1 : i + 3]
            if len(h) == 2 and h[0] in _HEX and h[1] in _HEX:
                ch = chr(int(h, 16))
                out.append(ch if ch in UNRESERVED else "%" + h.upper())
                i += 3
                continue
            out.append("%25")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def resolve(base: str, href: str, encoding: str = "utf-8") -> str | None:
    """The absolute URL a browser requests for `href` on a page at `base` whose encoding is
    `encoding` (path in UTF-8, query in the page's encoding); None for non-http(s) links."""
    if _SIMPLE_HREF.fullmatch(href) and not href.startswith("//"):
        return _origin(base) + href
    href = href.strip(" \t\n\r\f").replace("\t", "").replace("\n", "").replace("\r", "")
    u = urljoin(base, href)
    p = urlsplit(u)
    if p.scheme not in ("http", "https") or not p.hostname:
        return None
    path = _encode(p.path, "utf-8")
    query = _encode(p.query, encoding)
    out = f"{p.scheme}://{p.netloc}{path or '/'}"
    if "?" in u.split("#", 1)[0]:
        out += "?" + query
    if p.fragment:
        out += "#" + p.fragment
    return out


def canonical_query(query: str) -> str:
    parts = [_norm_escapes(_encode(x, "utf-8")) for x in query.split("&") if x]
    return "&".join(sorted(parts, key=lambda x: tuple(x.partition("=")[::2])))


def canonical_target(target: str) -> str:
    """Path and query in canonical form: escapes normalised, query sorted, fragment dropped,
    case kept. Accepts a request target ("/p/1?b=2&a=1") or an absolute URL."""
    p = urlsplit(target.split("#", 1)[0])
    path = _norm_escapes(_encode(p.path or "/", "utf-8"))
    q = canonical_query(p.query)
    return path + ("?" + q if q else "")


@functools.lru_cache(maxsize=4096)
def _origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


@functools.lru_cache(maxsize=65536)
def canonical_url(url: str) -> str:
    """Lower-case scheme and host, default port dropped, then canonical_target."""
    p = urlsplit(url)
    host = (p.hostname or "").lower()
    port = p.port
    if port is not None and (p.scheme.lower(), port) not in (("http", 80), ("https", 443)):
        host += f":{port}"
    return f"{p.scheme.lower()}://{host}{canonical_target(url)}"


def origin_of(url: str) -> str:
    """scheme://host[:port] of a canonical URL."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


# ---- robots.txt (RFC 9309 matching, the subset the site uses) ---------------------------------


def _robots_regex(pattern: str) -> re.Pattern[str]:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    rx = ".*".join(re.escape(_norm_escapes(part)) for part in body.split("*"))
    return re.compile(rx + ("$" if anchored else ""))


_RULES = [(allow, len(pat), _robots_regex(pat)) for allow, pat in ROBOTS_RULES]


def robots_allowed(target: str) -> bool:
    """Longest matching pattern wins, allow wins a tie; no match = allowed."""
    t = canonical_target(target)
    best: tuple[int, bool] | None = None
    for allow, n, rx in _RULES:
        if rx.match(t) and (best is None or n > best[0] or (n == best[0] and allow)):
            best = (n, allow)
    return best is None or best[1]


def robots_txt(base: str, crawl_delay: float | None) -> str:
    lines = ["User-agent: badbot", "Disallow: /", "", "User-agent: *"]
    lines += [f"{'Allow' if a else 'Disallow'}: {p}" for a, p in ROBOTS_RULES]
    if crawl_delay is not None:
        lines.append(f"Crawl-delay: {crawl_delay:g}")
    lines += ["", f"Sitemap: {base}/sitemap_index.xml", ""]
    return "\n".join(lines)


# ---- the pages -------------------------------------------------------------------------------


@dataclass
class Resource:
    """What one request target serves. HTML pages list their links; the rest carry `body`."""

    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    encoding: str = "utf-8"  # the page's encoding: its body and its links' query strings
    title: str = ""
    links: list[str] = field(default_factory=list)  # <a href> values, in order
    areas: list[str] = field(default_factory=list)  # <area href> values
    base_href: str | None = None
    meta_charset: str | None = None
    location: str | None = None  # redirects
    body: bytes | None = None  # non-HTML bodies
    delay: float = 0.0
    data: dict[str, object] = field(default_factory=dict)  # title/h1/price/tags for extract=

    @property
    def is_html(self) -> bool:
        return self.body is None and self.location is None and self.status == 200


def page_data(i: int) -> dict[str, object]:
    """What extract={"title": "title::text", "h1": "h1::text", "price": "span.price::text",
    "tags": ["span.tag::text"]} finds on /p/I."""
    return {
        "title": f"Page {i}",
        "h1": f"Page {i}",
        "price": f"{i}.{i % 100:02d}",
        "tags": [f"t{i % 3}", f"t{i % 5}"],
    }


def tree_children(path: str) -> list[str]:
    depth = path.rstrip("/").count("/") - 1  # /tree/ = 0, /tree/0 = 1, /tree/0/1 = 2
    if depth >= TREE_DEPTH:
        return []
    stem = path if path.endswith("/") else path + "/"
    return [f"{stem}{k}" for k in range(TREE_BRANCH)]


class Site:
    """The deterministic site. `base`/`offsite` are the two origins (real or placeholders)."""

    def __init__(
        self,
        n_pages: int = 3000,
        *,
        seed: int = 7,
        base: str = DEFAULT_BASE,
        offsite: str = DEFAULT_OFFSITE,
        crawl_delay: float | None = None,
        slow_delay: float = 0.2,
        specials: bool = True,
    ) -> None:
        self.n = n_pages
        self.seed = seed
        self.base = base.rstrip("/")
        self.offsite = offsite.rstrip("/")
        self.crawl_delay = crawl_delay
        self.slow_delay = slow_delay
        self.specials = specials
        self.netloc = urlsplit(self.base).netloc
        self._upper = "HTTP://" + self.netloc.upper()  # same origin, upper-case scheme/host
        self._edges: dict[str, tuple[bool, list[str]]] = {}

    # -- link generation

    def _href(self, form: str, t: int) -> str:
        return {
            "root": f"/p/{t}",
            "rel": f"{t}",  # relative to /p/I
            "dot": f"./{t}",
            "parent": f"../p/{t}",
            "abs": f"{self.base}/p/{t}",
            "frag": f"/p/{t}#s{t % 7}",
            "upper": f"{self._upper}/p/{t}#x",
            "space": f"  /p/{t}\n",
        }[form]

    def page_links(self, i: int) -> list[str]:
        rng = random.Random(self.seed * 1_000_003 + i)
        n = self.n
        forms = ("root", "root", "root", "rel", "dot", "parent", "abs", "frag", "upper", "space")
        links = [f"/p/{(i + 1) % n}"]
        links += [self._href(rng.choice(forms), rng.randrange(n)) for _ in range(9)]
        if not self.specials:
            return links
        if i % 50 == 7:
            links.append(f"/missing/p{i}")
        if i % 50 == 13:
            t = rng.randrange(n)
            links += [f"/p/{t}?b=2&a=1", f"/p/{t}?a=1&b=2"]
        if i % 100 == 21:
            links.append(f"/r/p/{i}")
        if i % 100 == 42:
            links.append(f"{self.offsite}/p/{i}")
        if i % 100 == 63:
            links.append(f"/private/p{i}")
        return links

    def home_links(self) -> list[str]:
        b, o, up = self.base, self.offsite, self._upper
        if not self.specials:
            return [f"/p/{i}" for i in range(min(self.n, 10))]
        return [
            "/p/0",
            "p/1",
            "/p/0#top",
            f"{b}/p/2",
            f"{up}/p/3#x",
            "/p/4?b=2&a=1",
            "/p/4?a=1&b=2",
            "/t/%7ehome",
            "/t/~home",
            f"{up}/t/%7Ehome#f",
            "/Case/Page",
            "/case/page",
            "/gbk",
            "/gbk-meta",
            "/private",
            "/private/",
            "/private/secret",
            "/private/open",
            "/private/open/deeper",
            "/files/notes.txt",
            "/files/report.pdf",
            "/files/report.pdf?download=1",
            "/r/301",
            "/r/302-abs",
            "/r/chain",
            "/r/off",
            "/r/priv",
            "/r/self",
            "/r/x/rel",
            "/missing/home",
            f"{o}/direct",
            "mailto:someone@example.invalid",
            "javascript:void(0)",
            "#top",
            "",
            "  /p/6 \n",
            "/base-test",
        ]

    # -- what each target serves

    def resource(self, target: str) -> Resource:
        """Resource for a request target (raw or canonical: it is canonicalised here)."""
        t = canonical_target(target)
        path, _, query = t.partition("?")
        r = self._resource(path, query)
        return (
            r if r is not None else Resource(status=404, content_type="text/plain", body=NOT_FOUND)
        )

    def _resource(self, path: str, query: str) -> Resource | None:
        b = self.base
        if path == "/":
            return Resource(title="Home", links=self.home_links(), areas=self._areas())
        if path.startswith("/p/"):
            i = _int(path[3:])
            if i is None or not 0 <= i < self.n:
                return None
            return Resource(title=f"Page {i}", links=self.page_links(i), data=page_data(i))
        if path == "/robots.txt":
            body = robots_txt(b, self.crawl_delay).encode()
            return Resource(content_type="text/plain", body=body)
        if path in META_PATHS or path.startswith("/sitemaps/"):
            return self._sitemap(path)
        if path == "/slow/":
            return Resource(title="Slow", links=[f"/slow/{k}" for k in range(SLOW_PAGES)])
        if path.startswith("/slow/"):
            k = _int(path[6:])
            if k is None or not 0 <= k < SLOW_PAGES:
                return None
            return Resource(title=f"Slow {k}", links=["/slow/"], delay=self.slow_delay)
        if path.startswith("/tree/"):
            parts = path[6:].split("/") if path != "/tree/" else []
            if len(parts) > TREE_DEPTH or any(p not in ("0", "1", "2") for p in parts):
                return None
            up = ["/tree/" + "/".join(parts[:-1])] if parts else []
            return Resource(title=f"Tree {path}", links=tree_children(path) + up)
        if path.startswith("/sm/") or path.startswith("/smc/"):
            return self._sitemap_page(path)
        if not self.specials:
            return None
        if path.startswith("/r/"):
            return self._redirect(path)
        return self._special(path, query)

    def _areas(self) -> list[str]:
        return ["/area/target"] if self.specials else []

    def _redirect(self, path: str) -> Resource | None:
        loc = {
            "/r/301": (301, "/p/5"),
            "/r/302-abs": (302, f"{self.base}/p/17#frag"),
            "/r/chain": (302, "/r/chain2"),
            "/r/chain2": (301, "/redirected/final"),
            "/r/off": (302, f"{self.offsite}/landing"),
            "/r/priv": (302, "/private/secret"),
            "/r/self": (302, "/r/self"),
            "/r/x/rel": (302, "../../p/23"),
        }.get(path)
        if loc is None and path.startswith("/r/p/"):
            i = _int(path[5:])
            if i is not None and 0 <= i < self.n:
                loc = (301, f"/p/{(7 * i) % self.n}")
        if loc is None:
            return None
        return Resource(status=loc[0], content_type="text/plain", location=loc[1], body=b"")

    def _special(self, path: str, query: str) -> Resource | None:
        simple = {
            "/t/~home": ["/p/0"],
            "/Case/Page": ["/p/1"],
            "/case/page": ["/p/2"],
            "/private": ["/p/3"],
            "/private/": ["/private/secret"],
            "/private/secret": ["/private/deeper"],
            "/private/deeper": [],
            "/private/open": ["/private/open/deeper"],
            "/private/open/deeper": ["/p/4"],
            "/area/target": ["/p/5"],
            "/based/child": ["/p/6"],
            "/redirected/final": ["/p/9"],
            "/zh/%E4%B8%AD%E6%96%87": [],
        }
        if path in simple:
            return Resource(title=f"Special {path}", links=simple[path])
        if path.startswith("/private/p"):
            return Resource(title=f"Private {path}", links=[])
        if path == "/base-test":
            return Resource(title="Base", links=["child", "/p/7"], base_href="/based/")
        if path == "/gbk":
            return Resource(
                title="中文页面",
                content_type="text/html; charset=gbk",
                encoding="gbk",
                links=["/s?q=中文", "/zh/中文", "/p/8"],
            )
        if path == "/gbk-meta":
            return Resource(
                title="汉字页面",
                content_type="text/html",
                encoding="gbk",
                meta_charset="gbk",
                links=["/s?q=汉字"],
            )
        if path == "/s":
            words = {_encode(w, "gbk") for w in GBK_WORDS}
            if query.startswith("q=") and query[2:] in words:
                return Resource(title="搜索结果", links=[])
            return None
        if path == "/files/notes.txt":
            return Resource(content_type="text/plain", body=b"plain text, not parsed\n")
        if path == "/files/report.pdf":
            return Resource(content_type="application/pdf", body=b"%PDF-1.4\n%%EOF\n")
        return None

    # -- sitemaps

    def sitemap_urls(self) -> dict[str, list[str]]:
        """Each sitemap file -> the page URLs it lists (the index lists files instead)."""
        b, o = self.base, self.offsite
        gz = [f"{b}/sm/{k}" for k in range(SITEMAP_GZ_PAGES)]
        gz += [f"{b}/p/10", f"{b}/private/from-sitemap", f"{o}/from-sitemap"]
        return {
            "/sitemaps/pages.xml.gz": gz,
            "/sitemaps/more.xml": [f"{b}/sm/{k}" for k in SITEMAP_MORE],
            "/sitemap.xml": [f"{b}/sm/{k}" for k in SITEMAP_XML],
        }

    def _sitemap(self, path: str) -> Resource | None:
        if path == "/sitemap_index.xml":
            files = ["/sitemaps/pages.xml.gz", "/sitemaps/more.xml"]
            xml = _xml("sitemapindex", "sitemap", [self.base + f for f in files])
            return Resource(content_type="application/xml", body=xml)
        urls = self.sitemap_urls().get(path)
        if urls is None:
            return None
        xml = _xml("urlset", "url", urls)
        if path.endswith(".gz"):
            return Resource(content_type="application/gzip", body=gzip.compress(xml, mtime=0))
        return Resource(content_type="application/xml", body=xml)

    def _sitemap_page(self, path: str) -> Resource | None:
        names = {str(k) for k in range(SITEMAP_GZ_PAGES)} | {*SITEMAP_MORE, *SITEMAP_XML}
        if path.startswith("/sm/") and path[4:] in names:
            return Resource(title=f"Sitemap {path}", links=[f"/smc/{path[4:]}", "/p/0"])
        if path.startswith("/smc/") and path[5:] in names:
            return Resource(title=f"Sitemap child {path}", links=[])
        return None

    def render(self, r: Resource) -> bytes:
        if r.body is not None:
            return r.body
        esc = _attr
        head = f'<meta charset="{r.meta_charset}">' if r.meta_charset else ""
        if r.base_href:
            head += f'<base href="{esc(r.base_href)}">'
        head += '<link rel="stylesheet" href="/style.css"><script src="/js/app.js"></script>'
        body = [f"<h1>{r.data.get('h1', r.title)}</h1>", '<img src="/img/logo.png" alt="">']
        if r.data:
            body.append(f'<p>Price <span class="price">{r.data["price"]}</span></p>')
            tags = r.data["tags"]
            assert isinstance(tags, list)
            body.append("".join(f'<span class="tag">{t}</span>' for t in tags))
        body.append("<ul>")
        body += [f'<li><a href="{esc(h)}">link {k}</a></li>' for k, h in enumerate(r.links)]
        body.append("</ul><a name='no-href'>anchor without href</a>")
        if r.areas:
            body.append('<map name="m">')
            body += [f'<area shape="rect" coords="0,0,1,1" href="{esc(h)}">' for h in r.areas]
            body.append("</map>")
        body.append(f"<p>{_filler(r.title)}</p>")
        html = (
            f"<!DOCTYPE html>\n<html><head>{head}<title>{r.title}</title></head>\n"
            f"<body>\n{chr(10).join(body)}\n</body></html>\n"
        )
        return html.encode(r.encoding)

    # -- what a correct crawl fetches

    def links_of(self, target: str) -> list[str]:
        """The canonical absolute http(s) URLs a page's <a>/<area> links point to, in page
        order, duplicates kept, offsite ones included (what page.links should hold, as a set);
        a redirect's Location for a redirect; [] for anything else."""
        url = canonical_url(self.base + canonical_target(target))
        return [canonical_url(u) for u in self.edges(url)[1]]

    def edges(self, url: str) -> tuple[bool, list[str]]:
        """(is a redirect, the absolute URLs it leads to) for a canonical URL on the site."""
        hit = self._edges.get(url)
        if hit is None:
            r = self.resource(canonical_target(url))
            if r.location is not None:
                out = [resolve(url, r.location)]
            elif r.is_html:
                base = resolve(url, r.base_href) if r.base_href else url
                out = [resolve(base or url, h, r.encoding) for h in [*r.links, *r.areas]]
            else:
                out = []
            hit = self._edges[url] = (r.location is not None, [u for u in out if u])
        return hit

    def expected(
        self,
        start: str | Sequence[str] = "/",
        *,
        allow: Iterable[str] = (),
        deny: Iterable[str] = (),
        robots: bool = True,
        max_depth: int | None = None,
        sitemaps: bool = False,
        filter_start: bool = False,
    ) -> set[str]:
        return _expected(self, start, allow, deny, robots, max_depth, sitemaps, filter_start)


def _expected(
    site: Site,
    start: str | Sequence[str],
    allow: Iterable[str],
    deny: Iterable[str],
    robots: bool,
    max_depth: int | None,
    sitemaps: bool,
    filter_start: bool,
) -> set[str]:
    allow_rx = [re.compile(p) for p in allow]
    deny_rx = [re.compile(p) for p in deny]
    starts = [start] if isinstance(start, str) else list(start)
    origin = origin_of(canonical_url(site.base + "/"))

    def ok(url: str, check_patterns: bool = True) -> bool:
        if origin_of(url) != origin:
            return False
        if check_patterns:
            if allow_rx and not any(rx.search(url) for rx in allow_rx):
                return False
            if any(rx.search(url) for rx in deny_rx):
                return False
        return not robots or robots_allowed(canonical_target(url))

    seen: set[str] = set()  # canonical URLs queued or fetched
    queue: deque[tuple[str, int]] = deque()

    def push(url: str | None, depth: int, check_patterns: bool = True) -> None:
        if url is None:
            return
        c = canonical_url(url)
        if c in seen or (max_depth is not None and depth > max_depth):
            return
        if not ok(c, check_patterns):
            return
        seen.add(c)
        queue.append((c, depth))

    for s in starts:
        push(resolve(site.base + "/", s), 0, filter_start)
    if sitemaps:
        for urls in site.sitemap_urls().values():
            for u in urls:
                push(u, 0)
    fetched: set[str] = set()
    while queue:
        url, depth = queue.popleft()
        fetched.add(canonical_target(url))
        redirect, out = site.edges(url)
        for u in out:
            push(u, depth if redirect else depth + 1)  # a redirect is not a hop in depth
    return fetched


def expected_pages(
    n_pages: int = 3000,
    start: str | Sequence[str] = "/",
    *,
    allow: Iterable[str] = (),
    deny: Iterable[str] = (),
    robots: bool = True,
    max_depth: int | None = None,
    sitemaps: bool = False,
    filter_start: bool = False,
    seed: int = 7,
    base: str = DEFAULT_BASE,
) -> set[str]:
    """Canonical request targets ("/p/4?a=1&b=2") a correct crawl from `start` fetches, each
    once: reachable over <a>/<area> links and redirects, on the site's origin, passing
    allow/deny (regexes searched in the absolute canonical URL; start URLs only when
    `filter_start`), robots.txt (when `robots`), and depth (start and sitemap URLs are 0, a
    link adds 1, a redirect adds 0; depths are shortest-path, so with max_depth use /tree/,
    where each node has one depth). 404s and redirect responses count; robots.txt and the
    sitemap files (META_PATHS) do not. `sitemaps` adds every page URL of every sitemap (the
    robots Sitemap: index, its gzip and plain children, and /sitemap.xml) at depth 0.
    `base` matters only to allow/deny patterns that look at the host or port."""
    site = Site(n_pages, seed=seed, base=base)
    return site.expected(
        start,
        allow=allow,
        deny=deny,
        robots=robots,
        max_depth=max_depth,
        sitemaps=sitemaps,
        filter_start=filter_start,
    )


def _int(s: str) -> int | None:
    return int(s) if s.isdigit() and (s == "0" or not s.startswith("0")) else None


def _attr(s: str) -> str:
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _xml(root: str, item: str, urls: list[str]) -> bytes:
    ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    rows = "".join(f"<{item}><loc>{_attr(u)}</loc></{item}>" for u in urls)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{ns}">{rows}</{root}>\n'.encode()
    )


_WORDS = "crawler frontier robots sitemap canonical redirect anchor page link queue host".split()


def _filler(title: str) -> str:
    rng = random.Random(title)
    return " ".join(rng.choice(_WORDS) for _ in range(80))
