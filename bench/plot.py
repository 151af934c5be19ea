"""Bar charts of the benchmark results for the docs (docs/img/*.png).

    python bench/plot.py                                    # the numbers of bench/results.json
    python bench/plot.py --fetch-jsonl f.jsonl --crawl-jsonl c.jsonl   # from a fresh run

bench/results.json holds the README's tables (the source of truth today). A fresh run's
measurements come from `bench/fetch.py --json-out F` and `bench/crawl.py [--frontier redis]
--json-out F` (JSON lines, one per peer and round): each peer's median is plotted, in
requests (pages) per second. No network, a few seconds; matplotlib with the Agg backend.

Writes fetch.png, parse.png, crawl.png and redis.png.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
OUT = HERE.parent / "docs" / "img"

FERRO = "#c2410c"  # ferrocrawl's bars
PEER = "#64748b"  # everyone else's
# PNG metadata without the matplotlib version, so a re-run with the same numbers changes no byte
METADATA = {"Software": None}


def color(peer: str) -> str:
    return FERRO if peer.startswith("ferrocrawl") else PEER


def hbar(
    path: Path,
    title: str,
    xlabel: str,
    peers: list[str],
    values: list[float],
    spans: list[tuple[float, float]] | None = None,
    fmt: str = "{:,.0f}",
) -> None:
    """One horizontal bar per peer, top to bottom in the given order, values labelled."""
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(peers) + 1.2))
    ys = list(range(len(peers)))[::-1]
    ax.barh(ys, values, color=[color(p) for p in peers], height=0.6)
    if spans:
        for y, (lo, hi) in zip(ys, spans, strict=True):
            if hi > lo:
                ax.plot([lo, hi], [y, y], color="black", linewidth=1.5)
    right = max(hi for _, hi in spans) if spans else max(values)
    for y, v, span in zip(ys, values, spans or [None] * len(values), strict=True):
        label = fmt.format(v) if span is None or span[0] == span[1] else f"{span[0]}–{span[1]}"
        ax.text(max(v, span[1] if span else v) + right * 0.01, y, label, va="center", fontsize=9)
    ax.set_yticks(ys, peers, fontsize=9)
    ax.set_xlim(0, right * 1.18)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata=METADATA)
    plt.close(fig)


def grouped(
    path: Path, title: str, ylabel: str, groups: list[str], series: dict[str, list[float | None]]
) -> None:
    """Vertical bars: one group per entry of `groups`, one bar per series within it."""
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(series)
    peer_colors = ["#c2410c", "#f59e0b", "#64748b", "#94a3b8", "#0f766e"]
    top = max(v for vs in series.values() for v in vs if v is not None)
    for i, (peer, values) in enumerate(series.items()):
        xs = [g + i * width - 0.4 + width / 2 for g in range(len(groups))]
        shown = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
        ax.bar(
            [x for x, _ in shown],
            [v for _, v in shown],
            width * 0.9,
            label=peer,
            color=peer_colors[i % len(peer_colors)],
        )
        for x, v in shown:
            ax.text(x, v + top * 0.01, f"{v:,.0f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, top * 1.3)
    ax.set_title(title, fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False, loc="upper center", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata=METADATA)
    plt.close(fig)


def medians(path: Path, key: tuple[str, ...]) -> dict[tuple[Any, ...], float]:
    """The median `pages_per_s` of a --json-out file's records, by the fields in `key`."""
    runs: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        if "pages_per_s" in r and "error" not in r:
            runs[tuple(r.get(k) for k in key)].append(r["pages_per_s"])
    return {k: statistics.median(v) for k, v in runs.items()}


def plot_fetch(out: Path, results: dict[str, Any], jsonl: Path | None) -> None:
    if jsonl is not None:
        m = medians(jsonl, ("peer",))
        rows = sorted(m.items(), key=lambda kv: -kv[1])
        hbar(
            out / "fetch.png",
            "Fetch: 5 KB pages from nginx on 127.0.0.1, concurrency 64 (median)",
            "requests/s",
            [str(k[0]) for k, _ in rows],
            [v for _, v in rows],
        )
        return
    fetch = results["fetch"]
    rows = fetch["rows"]
    hbar(
        out / "fetch.png",
        "Fetch: 20 000 × 5 KB pages from nginx, concurrency 64",
        "× aiohttp + uvloop (bar: middle of the range measured, line: the range)",
        [r["peer"] for r in rows],
        [(r["low"] + r["high"]) / 2 for r in rows],
        spans=[(r["low"], r["high"]) for r in rows],
        fmt="{:g}",
    )


def plot_parse(out: Path, results: dict[str, Any]) -> None:
    rows = results["parse"]["rows"]
    hbar(
        out / "parse.png",
        "Parse: the 1 169 pages of the PostgreSQL docs (title, links, one XPath)",
        "pages/s",
        [r["peer"] for r in rows],
        [r["value"] for r in rows],
    )


def plot_crawl(out: Path, results: dict[str, Any], jsonl: Path | None) -> None:
    crawl = results["crawl"]
    sites: list[str] = crawl["sites"]
    series: dict[str, list[float | None]] = {
        r["peer"]: [r.get(s) for s in sites] for r in crawl["rows"]
    }
    redis = results["redis"]
    workers: list[int] = redis["workers"]
    redis_series: dict[str, list[float | None]] = {r["peer"]: r["values"] for r in redis["rows"]}
    if jsonl is not None:
        m = medians(jsonl, ("peer", "site", "workers"))
        if any(w is None for _, _, w in m):
            sites = sorted({s for _, s, w in m if w is None})
            peers = sorted({p for p, _, w in m if w is None})
            series = {p: [m.get((p, s, None)) for s in sites] for p in peers}
        if any(w is not None for _, _, w in m):
            workers = sorted({w for _, _, w in m if w is not None})
            peers = sorted({p for p, _, w in m if w is not None})
            redis_series = {p: [m.get((p, "synthetic", w)) for w in workers] for p in peers}
    grouped(
        out / "crawl.png",
        "Crawl: whole sites from nginx on 127.0.0.1, concurrency 64",
        "pages/s",
        [f"{s} site" for s in sites],
        series,
    )
    grouped(
        out / "redis.png",
        "One crawl shared through Redis, 20 001 pages, on 2 cores",
        "pages/s",
        [f"{w} worker{'s' if w > 1 else ''}" for w in workers],
        redis_series,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--results", type=Path, default=RESULTS, help="default: bench/results.json")
    ap.add_argument("--fetch-jsonl", type=Path, help="bench/fetch.py --json-out output")
    ap.add_argument("--crawl-jsonl", type=Path, help="bench/crawl.py --json-out output")
    ap.add_argument("--out", type=Path, default=OUT, help="default: docs/img")
    a = ap.parse_args()
    results = json.loads(a.results.read_text())
    a.out.mkdir(parents=True, exist_ok=True)
    plot_fetch(a.out, results, a.fetch_jsonl)
    plot_parse(a.out, results)
    plot_crawl(a.out, results, a.crawl_jsonl)
    for name in ("fetch", "parse", "crawl", "redis"):
        print(a.out / f"{name}.png")


if __name__ == "__main__":
    main()
