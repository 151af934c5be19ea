"""A deterministic static site of N small HTML pages (~5 KB each) for the fetch and crawl
benchmarks.

Layout under OUT: p/<bucket>/<id>.html (bucket = id // 1000), index.html, urls.txt (one path a
line). Same arguments give byte-identical output; a stamp file skips regeneration.

ensure_site: the fetch site (root-relative links). ensure_crawl_site: the crawl site, shaped as
/work/shared/baseline/gen_site.py makes it: ~10 links a page (the next page, so every page is
reachable from index.html, then seeded ones), half root-relative and half "../BB/IIIII.html",
a Home link, a #fragment link, a <link rel=stylesheet> and one external link that a crawler
must not follow.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

WORDS = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua crawler async rust python tokio socket buffer queue "
    "frontier parser anchor link page"
).split()


def page_path(i: int) -> str:
    return f"/p/{i // 1000:02d}/{i:05d}.html"


def render(i: int, n: int, rng: random.Random, size: int) -> bytes:
    links = [(i + 1) % n] + [rng.randrange(n) for _ in range(9)]
    head = (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Page {i}</title>\n</head>\n<body>\n<h1>Page {i}</h1>\n<ul>\n"
        + "".join(f'<li><a href="{page_path(t)}">Page {t}</a></li>\n' for t in links)
        + "</ul>\n"
    )
    tail = "</body>\n</html>\n"
    parts, cur = [head], len(head) + len(tail)
    while cur < size:
        words = [rng.choice(WORDS) for _ in range(rng.randint(25, 60))]
        p = "<p>" + " ".join(words).capitalize() + ".</p>\n"
        parts.append(p)
        cur += len(p)
    parts.append(tail)
    return "".join(parts).encode()


def ensure_site(out: Path, n: int, size: int = 5000, seed: int = 42) -> Path:
    """Generate the site unless OUT already holds this exact one; returns urls.txt."""
    stamp = out / ".stamp.json"
    want = {"n": n, "size": size, "seed": seed, "version": 1}
    if stamp.exists() and json.loads(stamp.read_text()) == want:
        return out / "urls.txt"
    rng = random.Random(seed)
    for b in range((n - 1) // 1000 + 1):
        (out / "p" / f"{b:02d}").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (out / page_path(i).lstrip("/")).write_bytes(render(i, n, rng, size))
    index = "".join(f'<a href="{page_path(i)}">{i}</a>\n' for i in range(0, n, max(1, n // 10)))
    (out / "index.html").write_text(f"<!DOCTYPE html><html><body>{index}</body></html>\n")
    (out / "urls.txt").write_text("".join(page_path(i) + "\n" for i in range(n)))
    stamp.write_text(json.dumps(want))
    return out / "urls.txt"


def _crawl_page(title: str, links: list[tuple[str, str]], rng: random.Random, size: int) -> str:
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<title>{title}</title>\n<meta name="viewport" content="width=device-width">\n'
        '<link rel="stylesheet" href="/style.css">\n</head>\n<body>\n'
        f'<header><h1>{title}</h1><nav><a href="/index.html">Home</a> | '
        '<a href="#content">Skip to content</a></nav></header>\n<main id="content">\n'
    )
    body = '<ul class="related">\n' + "".join(f'<li><a href="{h}">{t}</a></li>\n' for h, t in links)
    body += "</ul>\n"
    tail = (
        "</main>\n<footer><p>Synthetic benchmark site. "
        '<a href="https://example.invalid/external">external link (must not be followed)</a>'
        "</p></footer>\n</body>\n</html>\n"
    )
    paras, cur = [], len(head) + len(body) + len(tail)
    while cur < size:
        words = [rng.choice(WORDS) for _ in range(rng.randint(25, 60))]
        p = "<p>" + " ".join(words).capitalize() + ".</p>\n"
        paras.append(p)
        cur += len(p)
    half = len(paras) // 2
    return head + "".join(paras[:half]) + body + "".join(paras[half:]) + tail


def ensure_crawl_site(
    out: Path, n: int, size: int = 5000, seed: int = 42, links: int = 10, start_links: int = 10
) -> Path:
    """Generate the crawl site unless OUT already holds this exact one; returns urls.txt (the
    N page paths; a full crawl from /index.html finds those and index.html)."""
    stamp = out / ".stamp.json"
    want = {"n": n, "size": size, "seed": seed, "links": links, "kind": "crawl", "version": 1}
    if stamp.exists() and json.loads(stamp.read_text()) == want:
        return out / "urls.txt"
    rng = random.Random(seed)
    for b in range((n - 1) // 1000 + 1):
        (out / "p" / f"{b:02d}").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        targets = [(i + 1) % n]
        while len(targets) < min(links, n - 1):
            t = rng.randrange(n)
            if t != i and t not in targets:
                targets.append(t)
        hrefs = [
            (page_path(t) if k % 2 == 0 else f"../{t // 1000:02d}/{t:05d}.html", f"Page {t}")
            for k, t in enumerate(targets)
        ]
        html = _crawl_page(f"Page {i}", hrefs, rng, size)
        (out / page_path(i).lstrip("/")).write_bytes(html.encode())
    starts = list(range(0, n, max(1, n // start_links)))[:start_links]
    index = _crawl_page(
        "Synthetic site start page", [(page_path(t), f"Page {t}") for t in starts], rng, size
    )
    (out / "index.html").write_text(index)
    (out / "style.css").write_text("body{font-family:sans-serif;max-width:50em;margin:auto}\n")
    (out / "urls.txt").write_text("".join(page_path(i) + "\n" for i in range(n)))
    stamp.write_text(json.dumps(want))
    return out / "urls.txt"
