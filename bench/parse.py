#!/usr/bin/env python3
"""HTML parsing benchmark: the PostgreSQL docs corpus held in memory, every parser in one run.

    python bench/parse.py [--dir /usr/share/doc/postgresql-doc-15/html] [--repeat 5]
                          [--only lxml,ferrocrawl] [--limit 0] [--json]

Task per page: parse, then extract the <title> text, every <a href> value, and one XPath with a
predicate, PRED_XPATH (selectolax has no XPath: it runs PRED_CSS, the same selection in CSS;
BeautifulSoup runs PRED_CSS through soupsieve). Peers, each in its own process, gc disabled,
after an untimed warm-up, K timed passes over all pages (median reported):

  ferrocrawl            Selector(text=page, type="html") + css("title::text") + xpath("//a/@href")
                        + xpath(PRED) (type="html": as parsel, it takes these <?xml pages as XML)
  ferrocrawl-batch-2t   await parse_many(pages, {title, links, pred}, threads=2): one call a pass
  ferrocrawl-batch-1t   the same with threads=1 (how much of the batch speed is the 2nd core)
  lxml                  lxml.html.fromstring(bytes) + precompiled etree.XPath for links and PRED,
                        findtext(".//title"). Bytes, because lxml refuses a str that starts with
                        <?xml ... encoding=...?> (every page here); libxml2 decodes the UTF-8.
  selectolax            selectolax.lexbor.LexborHTMLParser(page): css("a") hrefs,
                        css_first("title"), css(PRED_CSS)
  parsel                parsel.Selector(text=page, type="html") + the same three queries as
                        ferrocrawl (type="html": parsel would take these <?xml pages as XML)
  bs4-html.parser       BeautifulSoup(page, "html.parser"): find_all("a", href=True), soup.title,
  bs4-lxml              select(PRED_CSS); and the same with the lxml builder

Inputs other than lxml's are str, decoded once before timing (a crawler has resp.text()).
Pages/s and MB/s (input bytes) are per pass; the ratio is to lxml's median in the same run.
Each row also prints the links/titles/predicate counts of a pass, so a parser that extracts
something else shows (they differ a little by tree: html5 vs libxml2, see the README).
A peer that cannot run prints n/a and the reason. The method (peers in the same run, warm-up,
gc off, ratios) follows shared/baseline/parse_bench.py.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

DEFAULT_DIR = "/usr/share/doc/postgresql-doc-15/html"
PRED_XPATH = '//a[starts-with(@href, "sql-")]/@href'
PRED_CSS = 'a[href^="sql-"]'  # + the href attribute: the same selection as PRED_XPATH
WARMUP_PAGES = 20
PEERS = [
    "ferrocrawl",
    "ferrocrawl-batch-2t",
    "ferrocrawl-batch-1t",
    "lxml",
    "selectolax",
    "parsel",
    "bs4-html.parser",
    "bs4-lxml",
]

# A pass returns (links, titles, predicate matches) summed over the pages.
Counts = tuple[int, int, int]
PassFn = Callable[[], Counts]


def load(directory: str, limit: int) -> list[bytes]:
    files = sorted(Path(directory).glob("*.html"))
    if limit:
        files = files[:limit]
    return [f.read_bytes() for f in files]


# --- peers: each builds a function that runs one pass over the pages ----------------------


def ferrocrawl_single(raw: list[bytes]) -> PassFn:
    import ferrocrawl

    docs = [b.decode("utf-8") for b in raw]

    def run() -> Counts:
        links = titles = pred = 0
        for d in docs:
            sel = ferrocrawl.Selector(text=d, type="html")
            titles += sel.css("title::text").get() is not None
            links += len(sel.xpath("//a/@href").getall())
            pred += len(sel.xpath(PRED_XPATH).getall())
        return links, titles, pred

    return run


def ferrocrawl_batch(threads: int) -> Callable[[list[bytes]], PassFn]:
    def make(raw: list[bytes]) -> PassFn:
        import asyncio

        import ferrocrawl

        docs = [b.decode("utf-8") for b in raw]
        queries = {"title": "title::text", "links": "//a/@href", "pred": PRED_XPATH}

        # One loop for all passes, as a crawler has; the Python-side setup is not timed.
        loop = asyncio.new_event_loop()

        async def batch() -> list:
            # The batch API's shape lives here only, so a change of it is one edit.
            return await ferrocrawl.parse_many(docs, queries, threads=threads)

        def run() -> Counts:
            results = loop.run_until_complete(batch())
            links = titles = pred = 0
            for r in results:
                if isinstance(r, Exception):
                    raise r
                links += len(r["links"])
                titles += bool(r["title"])
                pred += len(r["pred"])
            return links, titles, pred

        return run

    return make


def lxml_peer(raw: list[bytes]) -> PassFn:
    import lxml.html
    from lxml import etree

    hrefs = etree.XPath("//a/@href")
    pred_x = etree.XPath(PRED_XPATH)

    def run() -> Counts:
        links = titles = pred = 0
        for b in raw:
            doc = lxml.html.fromstring(b)
            titles += doc.findtext(".//title") is not None
            links += len(hrefs(doc))
            pred += len(pred_x(doc))
        return links, titles, pred

    return run


def selectolax_peer(raw: list[bytes]) -> PassFn:
    from selectolax.lexbor import LexborHTMLParser

    docs = [b.decode("utf-8") for b in raw]

    def run() -> Counts:
        links = titles = pred = 0
        for d in docs:
            tree = LexborHTMLParser(d)
            t = tree.css_first("title")
            titles += t is not None and t.text() is not None
            links += sum(1 for n in tree.css("a") if n.attributes.get("href") is not None)
            pred += sum(1 for n in tree.css(PRED_CSS) if n.attributes.get("href") is not None)
        return links, titles, pred

    return run


def parsel_peer(raw: list[bytes]) -> PassFn:
    import parsel

    docs = [b.decode("utf-8") for b in raw]

    def run() -> Counts:
        links = titles = pred = 0
        for d in docs:
            sel = parsel.Selector(text=d, type="html")
            titles += sel.css("title::text").get() is not None
            links += len(sel.xpath("//a/@href").getall())
            pred += len(sel.xpath(PRED_XPATH).getall())
        return links, titles, pred

    return run


def bs4_peer(features: str) -> Callable[[list[bytes]], PassFn]:
    def make(raw: list[bytes]) -> PassFn:
        from bs4 import BeautifulSoup

        docs = [b.decode("utf-8") for b in raw]

        def run() -> Counts:
            links = titles = pred = 0
            for d in docs:
                soup = BeautifulSoup(d, features)
                titles += soup.title is not None and soup.title.string is not None
                links += len(soup.find_all("a", href=True))
                pred += len([a["href"] for a in soup.select(PRED_CSS)])
            return links, titles, pred

        return run

    return make


MAKERS: dict[str, Callable[[list[bytes]], PassFn]] = {
    "ferrocrawl": ferrocrawl_single,
    "ferrocrawl-batch-2t": ferrocrawl_batch(2),
    "ferrocrawl-batch-1t": ferrocrawl_batch(1),
    "lxml": lxml_peer,
    "selectolax": selectolax_peer,
    "parsel": parsel_peer,
    "bs4-html.parser": bs4_peer("html.parser"),
    "bs4-lxml": bs4_peer("lxml"),
}


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in ("ferrocrawl", "lxml", "selectolax", "parsel", "bs4"):
        try:
            mod = __import__(name)
            out[name] = str(getattr(mod, "__version__", "?"))
        except Exception as e:
            out[name] = f"n/a ({type(e).__name__})"
    return out


# --- worker: one peer, in its own process ---------------------------------------------------


def worker(peer: str, directory: str, limit: int, repeat: int) -> dict:
    raw = load(directory, limit)
    nbytes = sum(map(len, raw))
    try:
        run = MAKERS[peer](raw)
        # Warm-up, untimed: imports, caches (compiled queries), the allocator.
        if peer.startswith("ferrocrawl-batch"):
            run()
        else:
            MAKERS[peer](raw[:WARMUP_PAGES])()
    except Exception as e:
        return {"peer": peer, "error": f"{type(e).__name__}: {e}"}
    times, counts = [], None
    gc.collect()
    gc.disable()
    cpu0 = time.process_time()
    for _ in range(repeat):
        t0 = time.perf_counter()
        counts = run()
        times.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu0
    gc.enable()
    return {
        "peer": peer,
        "pages": len(raw),
        "bytes": nbytes,
        "seconds": times,
        "cpu_per_pass": cpu / repeat,
        "counts": counts,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_peer(peer: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--worker", peer, "--dir", args.dir]
    cmd += ["--limit", str(args.limit), "--repeat", str(args.repeat)]
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return {"peer": peer, "error": f"exit {p.returncode}: {tail}"}
    return json.loads(lines[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default=DEFAULT_DIR, help="folder of .html pages")
    ap.add_argument("--repeat", type=int, default=5, help="timed passes per peer (median)")
    ap.add_argument("--only", default="", help="comma-separated peers (default: all)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N pages (0: all)")
    ap.add_argument("--json", action="store_true", help="also print one JSON line per peer")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        print(json.dumps(worker(args.worker, args.dir, args.limit, args.repeat)))
        return 0

    raw = load(args.dir, args.limit)
    if not raw:
        print(
            f"no .html pages in {args.dir}: apt-get install -y postgresql-doc-15", file=sys.stderr
        )
        return 2
    peers = [p for p in args.only.split(",") if p] or PEERS
    unknown = set(peers) - set(MAKERS)
    if unknown:
        ap.error(f"unknown peers {sorted(unknown)}; known: {', '.join(PEERS)}")
    nbytes = sum(map(len, raw))
    print(
        f"corpus: {len(raw)} pages, {nbytes / 1e6:.1f} MB (avg {nbytes / len(raw) / 1e3:.1f} KB) "
        f"from {args.dir}; {args.repeat} passes per peer, median; {os.cpu_count()} CPUs"
    )
    print(f"versions: {json.dumps(versions())}")
    results = []
    for peer in peers:
        r = run_peer(peer, args)
        results.append(r)
        if args.json:
            print(json.dumps(r), flush=True)

    base = next((r for r in results if r["peer"] == "lxml" and "error" not in r), None)
    base_rate = base and base["pages"] / statistics.median(base["seconds"])
    header = (
        f"{'peer':<21}{'pages/s':>9}{'MB/s':>8}{'x lxml':>8}{'best p/s':>10}"
        f"{'CPU s':>7}{'RSS MB':>8}  links/titles/pred per pass"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if "error" in r:
            print(f"{r['peer']:<21}{'n/a':>9}  {r['error']}")
            continue
        med = statistics.median(r["seconds"])
        rate = r["pages"] / med
        ratio = f"{rate / base_rate:.2f}" if base_rate else "n/a"
        print(
            f"{r['peer']:<21}{rate:>9.0f}{r['bytes'] / med / 1e6:>8.1f}{ratio:>8}"
            f"{r['pages'] / min(r['seconds']):>10.0f}{r['cpu_per_pass']:>7.2f}"
            f"{r['max_rss_mb']:>8.0f}  {'/'.join(map(str, r['counts']))}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
