"""ferrocrawl: asynchronous web crawling for Python, with a Rust engine.

The API follows aiohttp (``ClientSession``, ``session.get``, ``await resp.text()``), so the
scripts of an asyncio + aiohttp crawler run with an import change; requests, decoding,
redirects and limits run on an embedded tokio runtime.
"""

from __future__ import annotations

import atexit as _atexit
import collections.abc as _abc
import os as _os

# The extension allocates with mimalloc, which by default keeps freed memory for a while to
# reuse it; a crawl frees page-sized buffers all the time, and returning them at once kept peak
# RSS 15-30% lower at the same speed (bench/crawl.py). Read when the extension loads.
_os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")

from . import _ferrocrawl
from ._crawl import Crawler, crawl
from ._default import delete, get, head, options, patch, post, put, request
from ._ferrocrawl import (
    BlockedAddressError,
    BodyTooLarge,
    CannotDropElementWithoutParent,
    CannotRemoveElementWithoutParent,
    CannotRemoveElementWithoutRoot,
    ClientConnectionError,
    ClientSession,
    ClientTimeout,
    ConnectError,
    CookieJar,
    FerrocrawlError,
    Headers,
    HTTPStatusError,
    InternalError,
    InvalidArgument,
    InvalidURL,
    ManyIter,
    Page,
    ProtocolError,
    RedirectError,
    RequestTimeout,
    Response,
    Selector,
    SelectorError,
    SinkError,
    TLSError,
    TooManyRedirects,
    UnsafePathError,
    __version__,
    parse_many,
    safe_filename,
)
from ._selector import SelectorList
from ._sink import Sink

#: aiohttp's name for the root of its exception tree.
ClientError = FerrocrawlError
#: aiohttp's name for what ``raise_for_status`` raises.
ClientResponseError = HTTPStatusError

# The awaitables are coroutines to asyncio (create_task, gather) and responses are mappings.
_abc.Coroutine.register(_ferrocrawl.Pending)
_abc.Awaitable.register(_ferrocrawl.Ready)
_abc.Mapping.register(Headers)


def shutdown() -> None:
    """Stops ferrocrawl's runtime (its worker threads and connections). Calls still in
    flight fail with ``RuntimeError``; the next call starts a fresh runtime. Runs at exit."""
    _ferrocrawl._shutdown()


# The one fork mechanism: the child gets a fresh runtime, and every session rebuilds its
# client (connections, cookie jar) at its next call.
_os.register_at_fork(after_in_child=_ferrocrawl._after_fork_in_child)
_atexit.register(shutdown)

__all__ = [
    "BlockedAddressError",
    "BodyTooLarge",
    "CannotDropElementWithoutParent",
    "CannotRemoveElementWithoutParent",
    "CannotRemoveElementWithoutRoot",
    "ClientConnectionError",
    "ClientError",
    "ClientResponseError",
    "ClientSession",
    "ClientTimeout",
    "ConnectError",
    "CookieJar",
    "Crawler",
    "FerrocrawlError",
    "HTTPStatusError",
    "Headers",
    "InternalError",
    "InvalidArgument",
    "InvalidURL",
    "ManyIter",
    "Page",
    "ProtocolError",
    "RedirectError",
    "RequestTimeout",
    "Response",
    "Selector",
    "SelectorError",
    "SelectorList",
    "Sink",
    "SinkError",
    "TLSError",
    "TooManyRedirects",
    "UnsafePathError",
    "__version__",
    "crawl",
    "delete",
    "get",
    "head",
    "options",
    "parse_many",
    "patch",
    "post",
    "put",
    "request",
    "safe_filename",
    "shutdown",
]
