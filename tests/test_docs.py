"""The docs site builds (`mkdocs build --strict`, no network), its API reference shows the
docstrings of the .pyi stubs, every page is in the nav, the Python in the pages compiles, and
bench/plot.py draws the charts offline."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def nav_pages(nav: list) -> set[str]:
    pages: set[str] = set()
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            pages |= nav_pages(value)
        else:
            pages.add(value)
    return pages


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return out


def text_of(html_file: Path) -> str:
    html = html_file.read_text(encoding="utf-8")
    html = html[html.find("<article") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.timeout(180)
def test_api_reference_has_the_stub_docstrings(site):
    api = text_of(site / "api" / "index.html")
    for expected in [
        "ClientSession",
        "An HTTP client with aiohttp's API",  # the class docstring, only in the .pyi
        "get_many",
        "Fetches every URL",
        "crawl",
        "Crawls from",
        "Crawler",
        "Queues more URLs",
        "Page",
        "One crawled page",
        "Selector",
        "parsel's Selector over a document parsed by html5ever",
        "parse_many",
        "Response",
        "FerrocrawlError",
        "RequestTimeout",
        "ClientConnectionError",
        "TooManyRedirects",
        "SelectorError",
        "InternalError",
    ]:
        assert expected in api, expected


@pytest.mark.timeout(180)
def test_every_page_is_built(site):
    for page in DOCS.glob("*.md"):
        built = site / "index.html" if page.stem == "index" else site / page.stem / "index.html"
        assert built.exists(), page.name


def test_every_page_is_in_the_nav():
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = nav_pages(config["nav"])
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert pages - listed == set(), "pages missing from mkdocs.yml's nav"
    assert listed - pages == set(), "nav entries without a page"


FENCE = re.compile(r"^(?P<indent> *)```python\n(?P<code>.*?)^(?P=indent)```", re.M | re.S)


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_python_examples_compile(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    for m in FENCE.finditer(text):
        code = textwrap.dedent(m.group("code"))
        try:
            compile(code, page, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        except SyntaxError as e:
            pytest.fail(f"{page}: {e}\n{code}")


@pytest.mark.timeout(120)
def test_plot_draws_the_charts_offline(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "plot.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=110,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("fetch", "parse", "crawl", "redis"):
        png = tmp_path / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        # the committed chart is referenced by the docs
        assert (DOCS / "img" / f"{name}.png").exists(), name
        assert f"img/{name}.png" in (DOCS / "benchmarks.md").read_text(encoding="utf-8")
