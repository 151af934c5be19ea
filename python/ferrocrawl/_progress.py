"""Live progress of a crawl: one updating line on a terminal, a widget in a notebook.

tqdm draws it (``tqdm.auto`` picks the notebook widget when ipywidgets is there). The numbers
come from ``crawler.stats``, a snapshot the Rust engine takes, read a few times a second by
one asyncio task: nothing runs per page.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

#: Seconds between two refreshes.
INTERVAL = 0.25


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = shell.get_ipython()  # type: ignore[attr-defined]
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def wanted(progress: bool | None) -> bool:
    """``None``: on when stderr is a terminal or in a notebook."""
    if progress is not None:
        return bool(progress)
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty()) or in_notebook()


def describe(stats: dict[str, Any]) -> str:
    errors = sum(stats.get("errors", {}).values())
    crawl = stats.get("crawl")
    queued, in_flight = stats.get("queued", 0), stats.get("in_flight", 0)
    text = f"queued {queued:,} · in flight {in_flight:,} · errors {errors:,}"
    if crawl:
        text += f" · crawl {crawl.get('pages', 0):,} pages, {crawl.get('workers', 1)} workers"
    return text


class Progress:
    """Shows ``crawler.stats`` until :meth:`close`; start it from a running event loop."""

    def __init__(self, crawler: Any, total: int | None = None) -> None:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]

        self._crawler = crawler
        self._bar = tqdm(
            total=total,
            unit=" pages",
            desc="crawl",
            dynamic_ncols=True,
            file=sys.stderr,
            mininterval=0,
            smoothing=0.1,
        )
        self._task = asyncio.get_running_loop().create_task(self._run())

    def _show(self) -> None:
        stats = self._crawler.stats
        if stats:
            self._bar.n = stats.get("pages", 0)
            self._bar.set_postfix_str(describe(stats), refresh=False)
        self._bar.refresh()

    async def _run(self) -> None:
        while True:
            self._show()
            await asyncio.sleep(INTERVAL)

    def close(self) -> None:
        """A last refresh with the final numbers, then the line (or widget) stays as it is."""
        if self._task.done():
            return
        self._task.cancel()
        with contextlib.suppress(Exception):
            self._show()
        self._bar.close()
