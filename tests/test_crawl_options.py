"""crawl() options: bad values raise a ValueError subclass before any request is sent."""

from __future__ import annotations

import ferrocrawl
import pytest

from tests.servers import closed_port

# Nothing listens there: a crawl that got as far as a request would record a connection error.
NOWHERE = f"http://127.0.0.1:{closed_port()}/"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"start_urls": "not a url"}, ferrocrawl.InvalidURL),
        ({"start_urls": ["ftp://127.0.0.1/"]}, ferrocrawl.InvalidURL),
        ({"start_urls": NOWHERE, "per_host": 0}, ferrocrawl.InvalidArgument),
        ({"start_urls": NOWHERE, "concurrency": 0}, ferrocrawl.InvalidArgument),
        ({"start_urls": NOWHERE, "delay": -1}, ferrocrawl.InvalidArgument),
        ({"start_urls": NOWHERE, "rate": 0}, ferrocrawl.InvalidArgument),
        ({"start_urls": NOWHERE, "allow": "("}, ferrocrawl.InvalidArgument),
        ({"start_urls": NOWHERE, "deny": ["ok", "[z-a]"]}, ferrocrawl.InvalidArgument),
        ({"start_urls": NOWHERE, "follow": "a]]"}, ferrocrawl.SelectorError),
        ({"start_urls": NOWHERE, "extract": {"t": "//a["}}, ferrocrawl.SelectorError),
        ({"start_urls": NOWHERE, "extract": {"t": "re:("}}, ferrocrawl.SelectorError),
        ({"start_urls": NOWHERE, "extract": {"t": ["a", "b"]}}, ValueError),
    ],
)
def test_bad_options_raise_value_errors_at_once(kwargs, error):
    start = kwargs.pop("start_urls")
    with pytest.raises(error) as info:
        ferrocrawl.crawl(start, **kwargs)
    assert isinstance(info.value, ValueError)


def test_bad_client_option_raises_at_once():
    with pytest.raises(ferrocrawl.FerrocrawlError):
        ferrocrawl.crawl(NOWHERE, proxy="not a proxy url")


async def test_unreachable_start_url_is_a_page_with_an_error():
    pages = [p async for p in ferrocrawl.crawl(NOWHERE, retries=0, robots=False)]
    assert len(pages) == 1
    page = pages[0]
    assert page.status is None
    assert isinstance(page.error, ferrocrawl.ConnectError)
    assert page.url == NOWHERE
    assert page.text() == ""
    assert not page.ok


async def test_stop_before_start_ends_at_once():
    crawler = ferrocrawl.crawl(NOWHERE)
    crawler.stop()
    assert [p async for p in crawler] == []
