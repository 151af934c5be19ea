"""``ferrocrawl.crawl()`` and ``Crawler``: the crawl runs in Rust; Python iterates its pages.

The Rust class does the work (``__anext__``, ``add``, ``stop``, ``stats``); this subclass adds
what reads best in Python: ``async with``, ``run()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import _ferrocrawl


class Crawler(_ferrocrawl.Crawler):
    """A crawl from ``start_urls``; ``async for page in crawler`` runs it.

    Takes the options of :func:`crawl`. Leaving ``async with`` stops the crawl and waits until
    its state (``state=``) is durable.
    """

    async def __aenter__(self) -> Crawler:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def run(self) -> dict[str, Any]:
        """Runs the crawl to its end without looking at the pages; returns the stats."""
        async for _ in self:
            pass
        return self.stats


def crawl(start_urls: str | Iterable[str], **options: Any) -> Crawler:
    """Crawls from ``start_urls``: ``async for page in ferrocrawl.crawl(url, ...)``.

    Options: ``max_pages``, ``max_depth``, ``allowed_domains``, ``allow``/``deny`` (regexes on
    the absolute URL), ``follow`` (None: every link; False: none; a CSS or ``xpath:`` query
    selecting the hrefs to follow), ``extract`` (name -> CSS, ``xpath:...`` or ``re:...``;
    a one-element list for all matches), ``concurrency``, ``per_host``, ``delay``, ``rate``,
    ``robots``, ``sitemaps``, ``retries``, ``state`` (a file: the crawl resumes where it
    stopped), ``frontier`` and ``name`` (``frontier="redis://host:port/0", name="docs"``:
    one crawl shared by every process started with the same two), ``session`` (a
    ClientSession to fetch with), and any ``ClientSession`` option (``headers``,
    ``user_agent``, ``proxy``, ``timeout``, ``ssl``, ``max_body_size``...).
    """
    return Crawler(start_urls, **options)
