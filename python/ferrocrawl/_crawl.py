"""``ferrocrawl.crawl()`` and ``Crawler``: the crawl runs in Rust; Python iterates its pages.

The Rust class does the work (``__anext__``, ``add``, ``stop``, ``stats``); this subclass adds
what reads best in Python: ``async with``, ``run()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import _ferrocrawl, _progress


class Crawler(_ferrocrawl.Crawler):
    """A crawl from ``start_urls``; ``async for page in crawler`` runs it.

    Takes the options of `crawl()`. Leaving ``async with`` stops the crawl and waits until
    its state (``state=``) is durable.
    """

    def __new__(
        cls, start_urls: str | Iterable[str], *, progress: bool | None = None, **options: Any
    ) -> Crawler:
        # With progress, an instance of the subclass that draws it: without, no Python code
        # runs per page.
        if _progress.wanted(progress) and not issubclass(cls, _WithProgress):
            cls = _with_progress(cls)
        return super().__new__(cls, start_urls, **options)  # type: ignore[return-value]

    def __init__(self, *args: Any, **options: Any) -> None:
        self._max_pages = options.get("max_pages")

    def __repr__(self) -> str:
        stats = self.stats
        if not stats:
            return f"<{type(self).__name__} not started>"
        return (
            f"<{type(self).__name__} {stats['pages']:,} pages, {stats['queued']:,} queued, "
            f"{stats['in_flight']:,} in flight, {sum(stats['errors'].values()):,} errors>"
        )

    async def __aenter__(self) -> Crawler:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def run(self) -> dict[str, Any]:
        """Runs the crawl to its end without looking at the pages; returns the stats."""
        async for _ in self:
            pass
        return self.stats


class _WithProgress(Crawler):
    """A crawler that shows its progress while it is iterated (see ``_progress``)."""

    _shown: _progress.Progress | None = None

    async def __anext__(self) -> _ferrocrawl.Page:
        if self._shown is None:
            self._shown = _progress.Progress(self, total=self._max_pages)
        try:
            return await super().__anext__()
        except BaseException:
            self._shown.close()
            raise

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            if self._shown is not None:
                self._shown.close()


_PROGRESS_CLASSES: dict[type, type] = {}


def _with_progress(cls: type[Crawler]) -> type[Crawler]:
    """``cls`` (Crawler or a user's subclass) drawing its progress."""
    if cls not in _PROGRESS_CLASSES:
        _PROGRESS_CLASSES[cls] = type(f"{cls.__name__}WithProgress", (_WithProgress, cls), {})
    return _PROGRESS_CLASSES[cls]


def crawl(start_urls: str | Iterable[str], **options: Any) -> Crawler:
    """Crawls from ``start_urls``: ``async for page in ferrocrawl.crawl(url, ...)``.

    Options: ``max_pages``, ``max_depth``, ``allowed_domains``, ``allow``/``deny`` (regexes on
    the absolute URL), ``follow`` (None: every link; False: none; a CSS or ``xpath:`` query
    selecting the hrefs to follow), ``extract`` (name -> CSS, ``xpath:...`` or ``re:...``;
    a one-element list for all matches), ``concurrency``, ``per_host``, ``delay``, ``rate``,
    ``robots``, ``sitemaps``, ``retries``, ``state`` (a file: the crawl resumes where it
    stopped), ``frontier`` and ``name`` (``frontier="redis://host:port/0", name="docs"``:
    one crawl shared by every process started with the same two), ``session`` (a
    ClientSession to fetch with), ``progress`` (a live line on a terminal, a widget in a
    notebook; ``None``: on when stderr is a terminal or in a notebook), and any
    ``ClientSession`` option (``headers``, ``user_agent``, ``proxy``, ``timeout``, ``ssl``,
    ``max_body_size``...).
    """
    return Crawler(start_urls, **options)
