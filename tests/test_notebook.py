"""notebooks/quickstart.ipynb executed headless (nbclient), as a user opens it: against the
demo site it starts itself on 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.servers.notebook import cell_text, execute

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"


@pytest.fixture(scope="module")
def cells() -> list[dict]:  # type: ignore[type-arg]
    nb = execute(NOTEBOOK, timeout=120)
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_no_cell_failed(cells):
    for c in cells:
        assert not [o for o in c["outputs"] if o["output_type"] == "error"], cell_text(c)


def test_fetch_and_selector(cells):
    text = cell_text(cells[1])
    assert text.startswith("200 text/html")
    assert "title: Page 0" in text
    assert re.search(r"links: \['/p/\d+'", text), text


def test_crawl_with_the_live_widget(cells):
    crawl = cells[2]
    assert re.search(r"1500 pages, \d+ pages/s$", cell_text(crawl), re.M), cell_text(crawl)
    kinds = {k for o in crawl["outputs"] for k in o.get("data", {})}
    # tqdm.auto picked the notebook widget (ipywidgets), not a text line
    assert "application/vnd.jupyter.widget-view+json" in kinds, kinds


def test_table_and_chart(cells):
    table = next(o for o in cells[3]["outputs"] if o["output_type"] == "execute_result")
    html = "".join(table["data"]["text/html"])
    assert "<table" in html and "price" in html and "title" in html
    stats = cell_text(cells[4])
    assert re.search(r"^pages\s+1500", stats, re.M), stats
    chart = [o for o in cells[5]["outputs"] if "image/png" in o.get("data", {})]
    assert len(chart) == 1
