"""A deterministic static site of N small HTML pages (~5 KB each) for the fetch benchmark.

Layout under OUT: p/<bucket>/<id>.html (bucket = id // 1000), index.html, urls.txt (one path a
line). Same arguments give byte-identical output; a stamp file skips regeneration.
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
