"""Type stubs of the compiled module; checked against the runtime by tests/test_stubs.py.

The docstrings here are what the API reference (mkdocstrings, `make docs`) shows; keep them
consistent with the Rust doc comments the runtime `__doc__` strings come from.
"""

import os
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Iterator, Mapping
from http.cookies import Morsel, SimpleCookie
from re import Pattern
from types import TracebackType
from typing import Any, ClassVar, Generic, Literal, TypeVar, final

from typing_extensions import disjoint_base

from ._selector import SelectorList

__version__: str
"""The package version, e.g. `"0.1.0"`."""

__all__ = [
    "BlockedAddressError",
    "BodyTooLarge",
    "CannotDropElementWithoutParent",
    "CannotRemoveElementWithoutParent",
    "CannotRemoveElementWithoutRoot",
    "ClientConnectionError",
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
    "LoopBridge",
    "ManyIter",
    "Page",
    "Pending",
    "ProtocolError",
    "Ready",
    "RedirectError",
    "RequestTimeout",
    "Response",
    "Selector",
    "SelectorError",
    "Sink",
    "SinkError",
    "TLSError",
    "TooManyRedirects",
    "UnsafePathError",
    "__version__",
    "_after_fork_in_child",
    "_panic_in_task",
    "_shutdown",
    "_test_panic",
    "parse_many",
    "safe_filename",
]

_T = TypeVar("_T")
_StrOrURL = str | Any
_Pairs = Mapping[str, Any] | Iterable[tuple[str, Any]]

# ---- exceptions -------------------------------------------------------------------------

class FerrocrawlError(Exception):
    """Base of every error ferrocrawl raises (aliased `ClientError`, aiohttp's name).

    Credentials (`user:pass@`) are removed from every URL in a message or in `url`.
    """

    url: str | None
    """The URL concerned, when there is one."""
    status: int | None
    """The HTTP status, when a response came (`HTTPStatusError`), else None."""

class InvalidURL(FerrocrawlError, ValueError):
    """The URL cannot be fetched: unparsable, no host, or not http/https."""

class RequestTimeout(FerrocrawlError, TimeoutError):
    """A deadline ran out (total, connect or read); also a `TimeoutError`
    (= `asyncio.TimeoutError`)."""

class ClientConnectionError(FerrocrawlError, ConnectionError):
    """The connection could not be made or broke; also a `ConnectionError`."""

class ConnectError(ClientConnectionError):
    """Could not connect (refused, unreachable, DNS)."""

class BlockedAddressError(ConnectError):
    """`block_private_networks=True` refused the address a URL, a redirect or a DNS answer
    leads to (loopback, private, link-local...); nothing was sent to it."""

class TLSError(ClientConnectionError):
    """The TLS handshake failed, e.g. an untrusted certificate."""

class ProtocolError(ClientConnectionError):
    """The server broke the connection or spoke invalid HTTP."""

class RedirectError(FerrocrawlError):
    """A redirect was refused (bad `Location`, a scheme other than http/https, or, in a
    crawl, a target outside the crawl's domains or rules)."""

class TooManyRedirects(RedirectError):
    """More redirects than `max_redirects`."""

class BodyTooLarge(FerrocrawlError):
    """The decoded body is larger than `max_body_size` (or a download larger than
    `max_size`)."""

class HTTPStatusError(FerrocrawlError):
    """`raise_for_status()` saw a 4xx/5xx status; `status` holds it (aliased
    `ClientResponseError`, aiohttp's name)."""

class UnsafePathError(FerrocrawlError, ValueError):
    """A download target would escape its folder."""

class InternalError(FerrocrawlError):
    """A bug in ferrocrawl (a Rust panic); the message says where. The session stays
    usable."""

class SinkError(FerrocrawlError):
    """An item sink failed for good: bad credentials, a missing database, a field its table
    lacks, or a server unreachable for 5 minutes. The message names the sink (password
    removed); in a crawl, pages whose items were not written stay unacknowledged."""

class SelectorError(FerrocrawlError, ValueError):
    """An invalid CSS, XPath or regex; the message gives the position."""

class InvalidArgument(FerrocrawlError, ValueError):
    """An option has a value ferrocrawl cannot use."""

class CannotRemoveElementWithoutRoot(FerrocrawlError):
    """`drop()` or `remove()` on a selector that is not an element of a tree (a text, an
    attribute value, a JSON value), as parsel."""

class CannotRemoveElementWithoutParent(FerrocrawlError):
    """`remove()` on the root element, which has no parent to remove it from."""

class CannotDropElementWithoutParent(CannotRemoveElementWithoutParent):
    """`drop()` on the root element, which has no parent to drop it from."""

# ---- awaitables -------------------------------------------------------------------------

@final
class Pending(Coroutine[Any, Any, _T]):
    """Rust work started at the first await; a coroutine to asyncio (``create_task``), and
    an async context manager (``async with session.get(url) as resp``). Awaited once."""

    def __await__(self) -> Generator[Any, None, _T]: ...
    # __iter__ exists at runtime (``yield from``) but is left out here: with it, mypy cannot
    # infer create_task's / gather's result type from a Pending.
    def __next__(self) -> Any: ...
    def send(self, value: Any, /) -> Any:
        """Coroutine protocol: resumes the awaitable (used by asyncio, not by hand)."""
    def throw(self, typ: Any, val: Any = None, tb: TracebackType | None = None, /) -> Any:
        """Coroutine protocol: raises into the awaitable (used by asyncio, not by hand)."""
    def close(self) -> None:
        """Aborts the Rust task if it has started, as cancelling the awaiting task does."""
    def __aenter__(self) -> Pending[_T]:
        """`async with session.get(url) as resp`: entering awaits the response itself."""
    def __aexit__(self, *_args: object) -> Ready[None]: ...

@final
class Ready(Generic[_T]):
    """An awaitable that is already complete; its own iterator, so awaiting it allocates
    nothing more. Awaited once, like a coroutine."""

    def __await__(self) -> Generator[Any, None, _T]: ...
    def __iter__(self) -> Ready[_T]: ...
    def __next__(self) -> None: ...

@final
class LoopBridge:
    """The reader callback registered with one event loop, and the futures it will resolve
    (internal)."""

    def drain(self) -> None:
        """Resolves every result queued since the last drain (called by the event loop)."""

# ---- client -----------------------------------------------------------------------------

@final
class ClientTimeout:
    """`ClientTimeout(total=..., connect=..., sock_read=..., sock_connect=...)`, in seconds;
    `None` means no such deadline. `connect` and `sock_connect` are the same deadline here.

    `total` covers one attempt: the wait for a connection slot, connect, redirects and the
    body, as in aiohttp. A session without `timeout=` has `total=300, sock_connect=30`.
    """

    total: float | None
    """Seconds for the whole attempt."""
    connect: float | None
    """Seconds to connect (TCP and TLS)."""
    sock_read: float | None
    """Seconds between two reads; a download's deadline between bytes (default 60)."""
    sock_connect: float | None
    """The same deadline as `connect`."""
    def __new__(
        cls,
        total: float | None = None,
        connect: float | None = None,
        sock_read: float | None = None,
        sock_connect: float | None = None,
    ) -> ClientTimeout: ...

@final
class Headers:
    """Read-only, case-insensitive multi-mapping of response headers (a
    `collections.abc.Mapping`; repeated names keep every value)."""

    def __getitem__(self, key: str, /) -> str:
        """The first value of `key`; `KeyError` if absent."""
    def get(self, key: str, default: Any = None) -> Any:
        """The first value of `key`, or `default`."""
    def getone(self, key: str) -> str:
        """Like `__getitem__`, aiohttp's spelling."""
    def getall(self, key: str, default: Any = None) -> Any:
        """Every value of `key`, in order (e.g. several `Set-Cookie`); `default` (or
        `KeyError` without one) if absent."""
    def __contains__(self, key: object, /) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[str]: ...
    def keys(self) -> list[str]:
        """The header names."""
    def values(self) -> list[str]:
        """The header values."""
    def items(self) -> list[tuple[str, str]]:
        """All (name, value) pairs, repeated names included."""

@final
class Response:
    """A response whose body was already read (in Rust, within `max_body_size`).

    `await resp.text()`, `await resp.read()` and `await resp.json()` cost no I/O; `url` is
    a `str`. Usable as `async with` for aiohttp compatibility.
    """

    @property
    def status(self) -> int:
        """The HTTP status code."""
    @property
    def reason(self) -> str:
        """The status's reason phrase, e.g. `"Not Found"`."""
    @property
    def ok(self) -> bool:
        """`status < 400`."""
    @property
    def url(self) -> str:
        """The final URL, after redirects."""
    @property
    def real_url(self) -> str:
        """The same as `url` (aiohttp's name)."""
    @property
    def version(self) -> str:
        """The HTTP version, e.g. `"HTTP/1.1"`."""
    @property
    def headers(self) -> Headers:
        """The response headers."""
    @property
    def history(self) -> tuple[Response, ...]:
        """Earlier hops of a redirect chain, oldest first (bodies are not kept)."""
    @property
    def attempts(self) -> int:
        """Attempts made, retries included."""
    @property
    def content_type(self) -> str:
        """The Content-Type without parameters (`application/octet-stream` when absent)."""
    @property
    def content_length(self) -> int | None:
        """The Content-Length header as a number, or None."""
    @property
    def charset(self) -> str:
        """The encoding `text()` uses: BOM, then Content-Type, then `<meta charset>`, then a
        guess."""
    @property
    def body(self) -> bytes:
        """The whole body as bytes."""
    def read(self) -> Ready[bytes]:
        """`await resp.read()`: the body as bytes."""
    def text(self, encoding: str | None = None, errors: str = "replace") -> Ready[str]:
        """`await resp.text()`: the body as text.

        Args:
            encoding: a Python codec name; by default `charset` (browser rules).
            errors: as in `bytes.decode` (`"replace"` by default, as browsers do;
                `"strict"` raises `UnicodeDecodeError`).
        """
    def json(
        self, *, encoding: str | None = None, loads: Any = None, content_type: Any = None
    ) -> Ready[Any]:
        """`await resp.json()`: the body parsed as JSON (with `loads`, `json.loads` by
        default). The Content-Type is not checked."""
    def selector(self) -> Selector:
        """The body as HTML: a `Selector` with this response's URL as base."""
    def html(self) -> Ready[Selector]:
        """`await resp.html()`: the same as `resp.selector()`."""
    def raise_for_status(self) -> None:
        """Raises `HTTPStatusError` (with `status` and `url`) if `status >= 400`."""
    def release(self) -> None:
        """Nothing to release: the body was read before the response reached Python."""
    def close(self) -> None:
        """Nothing to close (aiohttp compatibility)."""
    def __aenter__(self) -> Ready[Response]: ...
    def __aexit__(self, *_args: object) -> Ready[None]: ...

@final
class ManyIter:
    """`async for resp in session.iter_many(urls)`: responses in completion order.

    The producer starts at the first `__anext__`; a result already queued is returned
    without a trip through the loop.
    """

    def __aiter__(self) -> ManyIter: ...
    def __anext__(self) -> Any: ...
    def aclose(self) -> Ready[None]:
        """Stops fetching: the producer and its requests in flight are aborted, which closes
        their connections; iterating afterwards ends at once. `async for ... break` leaves
        the iterator open until it is collected, so call this (or use
        `contextlib.aclosing`) to stop at once."""

@final
class CookieJar:
    """aiohttp's CookieJar surface. Public-suffix domains (`Domain=com`) are refused; Secure
    cookies go over https only; at most 3000 cookies, 50 per site (oldest evicted first).

    A view of one session's jar; it follows the session's client (rebuilt, with an empty
    jar, in a forked child).
    """

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Morsel[str]]: ...
    def clear(self, predicate: Callable[[Morsel[str]], bool] | None = None) -> None:
        """Removes every cookie, or those for which `predicate(morsel)` is true."""
    def clear_domain(self, domain: str) -> None:
        """Removes the cookies of `domain` and its subdomains."""
    def filter_cookies(self, request_url: _StrOrURL) -> SimpleCookie:
        """The cookies a request to `request_url` would carry, as a `SimpleCookie`."""

@final
class ClientSession:
    """An HTTP client with aiohttp's API; requests run on ferrocrawl's tokio runtime.

    `async with ferrocrawl.ClientSession() as session:` then `await session.get(url)` (or
    `async with session.get(url) as resp:`). One connection pool and one cookie jar per
    session. Every request method takes `params`, `headers`, `cookies`, `data` (bytes, str
    or a form dict), `json`, `proxy`, `ssl` / `verify_ssl`, `timeout`, `allow_redirects`,
    `max_redirects`, `raise_for_status` and `max_body_size`, overriding the session's.

    Options (keyword-only):

    - `headers`: sent with every request.
    - `cookies`: put in the session's jar.
    - `timeout`: a `ClientTimeout`, or a number of seconds (`total`); default `total=300`,
      `sock_connect=30`.
    - `limit`: requests in flight on the session (100).
    - `limit_per_host`: requests in flight on one host (no limit by default).
    - `proxy`: `http://`, `https://`, `socks5://` or `socks5h://` URL.
    - `ssl`: `True` (verify), `False` (skip verification), a CA file path, or an
      `ssl.SSLContext` (its CA certificates, `verify_mode`, `check_hostname`,
      minimum/maximum version).
    - `verify_ssl`: aiohttp's older spelling: `verify_ssl=False` is `ssl=False`.
    - `max_redirects`: redirects followed per request (10); every hop is checked.
    - `retries`: retries after a connection error, a timeout, 429 or 503 (0).
    - `retry_backoff`: first backoff in seconds, doubled per retry, with jitter (0.5).
    - `retry_methods`: the methods retried (default: the idempotent ones).
    - `max_body_size`: bytes of *decoded* body (100 MiB).
    - `max_headers`: header lines in a response head (100); the head is also capped at
      400 KiB. Past either: `ProtocolError`, at once.
    - `http2`: allow HTTP/2 (negotiated with ALPN over TLS).
    - `user_agent`: the `User-Agent` header.
    - `raise_for_status`: raise `HTTPStatusError` on 4xx/5xx.
    - `block_private_networks`: connect only to public addresses: a URL, redirect or DNS
      answer leading to loopback, a private or link-local network (cloud metadata) raises
      `BlockedAddressError` before anything is sent (False). Not with a proxy.
    - `allowed_networks`: networks let through anyway, e.g. `["10.1.0.0/16"]`.

    Raises:
        InvalidArgument: an option has a value ferrocrawl cannot use (e.g. an `SSLContext`
            with CRL checks or TLS below 1.2).
    """

    def __new__(
        cls,
        *,
        headers: _Pairs | None = None,
        cookies: _Pairs | None = None,
        timeout: ClientTimeout | float | None = None,
        limit: int = 100,
        limit_per_host: int | None = None,
        proxy: str | None = None,
        ssl: Any = None,
        verify_ssl: Any = None,
        max_redirects: int = 10,
        retries: int = 0,
        retry_backoff: float = 0.5,
        retry_methods: Iterable[str] | None = None,
        max_body_size: int = ...,
        max_headers: int = 100,
        http2: bool = False,
        user_agent: str | None = None,
        raise_for_status: bool = False,
        block_private_networks: bool = False,
        allowed_networks: Iterable[str] | None = None,
    ) -> ClientSession: ...
    def request(self, method: str, url: _StrOrURL, **kwargs: Any) -> Pending[Response]:
        """`await session.request("GET", url, ...)`: one request; resolves to a `Response`.

        Raises:
            InvalidURL: the URL cannot be fetched.
            RequestTimeout: a deadline ran out.
            ClientConnectionError: connect, TLS or protocol failure (`ConnectError`,
                `TLSError`, `ProtocolError`).
            RedirectError: a refused redirect, or `TooManyRedirects`.
            BodyTooLarge: the decoded body is over `max_body_size`.
            HTTPStatusError: a 4xx/5xx status with `raise_for_status=True`.
        """
    def get(self, url: _StrOrURL, **kwargs: Any) -> Pending[Response]:
        """A GET request; see `request` for the options and errors."""
    def post(self, url: _StrOrURL, **kwargs: Any) -> Pending[Response]:
        """A POST request (`data=` or `json=`); see `request`."""
    def put(self, url: _StrOrURL, **kwargs: Any) -> Pending[Response]:
        """A PUT request; see `request`."""
    def patch(self, url: _StrOrURL, **kwargs: Any) -> Pending[Response]:
        """A PATCH request; see `request`."""
    def delete(self, url: _StrOrURL, **kwargs: Any) -> Pending[Response]:
        """A DELETE request; see `request`."""
    def head(self, url: _StrOrURL, **kwargs: Any) -> Pending[Response]:
        """A HEAD request; see `request`."""
    def options(self, url: _StrOrURL, **kwargs: Any) -> Pending[Response]:
        """An OPTIONS request; see `request`."""
    def get_many(
        self, urls: Iterable[_StrOrURL], *, concurrency: int = 64, **kwargs: Any
    ) -> Pending[list[Response | FerrocrawlError]]:
        """Fetches every URL, `concurrency` at a time, without a Python task per URL.

        The list is in input order and a failed URL's slot holds its exception instead of
        a response. Responses become Python objects on the (otherwise idle) loop thread as
        they arrive, while the rest are fetched. `kwargs` are the request options of
        `request`.
        """
    def iter_many(
        self,
        urls: Iterable[_StrOrURL],
        *,
        concurrency: int = 64,
        return_exceptions: bool = True,
        **kwargs: Any,
    ) -> ManyIter:
        """Yields responses as they complete: `async for resp in session.iter_many(urls)`.

        A failed URL's exception is yielded, or raised from the iteration with
        `return_exceptions=False`. At most about `concurrency` responses are fetched ahead
        of the consumer. Close it (`contextlib.aclosing`) to abort the requests in flight
        after a `break`.
        """
    def download(
        self,
        url: _StrOrURL,
        path: str | os.PathLike[str],
        *,
        filename: str | None = None,
        resume: bool = True,
        max_size: int = ...,
        **kwargs: Any,
    ) -> Pending[str]:
        """Streams `url` to disk in Rust and resolves to the final path.

        The body goes to a `.part` file renamed into place when complete; a broken or
        interrupted transfer resumes with `Range` + `If-Range`. The file is saved as sent
        (`Accept-Encoding: identity`).

        Args:
            url: what to download.
            path: the file, or a folder (existing, or ending in `/`) where the file is
                named after the response.
            filename: an untrusted name (e.g. a title from the page) joined under `path`.
            resume: continue a `.part` file left by an earlier run.
            max_size: bytes (10 GiB); a larger `Content-Length` is refused before a byte is
                written.

        Raises:
            UnsafePathError: `filename` would leave the folder.
            BodyTooLarge: the file is larger than `max_size`.
            RequestTimeout: no byte for `sock_read` seconds (60), or `timeout=` ran out.
        """
    def close(self) -> Ready[None]:
        """`await session.close()`: closes the connections; later requests raise
        `RuntimeError`."""
    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
    @property
    def cookie_jar(self) -> CookieJar:
        """The session's cookie jar, aiohttp-style: iterable of `Morsel`s, `len()`,
        `clear()`, `clear_domain()`, `filter_cookies(url)`."""
    def cookies_for(self, url: str) -> list[tuple[str, str]]:
        """Cookies the session would send to `url`, from its jar, as (name, value) pairs."""
    def __aenter__(self) -> Ready[ClientSession]: ...
    def __aexit__(self, *_args: object) -> Ready[None]: ...

@final
class Selector:
    """parsel's Selector over a document parsed by html5ever in Rust.

    `Selector(text=html, base_url=url)`, or `body=` bytes decoded like a response (BOM,
    `encoding=`, `<meta charset>`, a guess). Parsing runs with the GIL released; CSS and
    XPath 1.0 query the same tree. A selector is an element, a text node or an attribute
    value. `huge_tree=False` cuts a document nested deeper than 256 elements where libxml2
    stops, with a `UserWarning`, as parsel does; by default nothing is cut (html5ever
    flattens nesting past 512 levels instead).

    Raises:
        SelectorError: from `css`, `xpath`, `re` and `re_first`, for an invalid query or
            regex; the message gives the position.
    """

    selectorlist_cls: ClassVar[type[SelectorList]]
    def __new__(
        cls,
        text: str | None = None,
        type: Literal["html", "xml", "text", "json"] | None = None,
        *,
        body: bytes | bytearray | None = None,
        encoding: str | None = None,
        namespaces: Mapping[str, str] | None = None,
        root: Any = None,
        base_url: str | None = None,
        huge_tree: bool = True,
        _expr: str | None = None,
    ) -> Selector: ...
    @property
    def type(self) -> Literal["html", "xml", "text", "json"]:
        """parsel's selector type: what the text was parsed as."""
    @property
    def namespaces(self) -> dict[str, str]:
        """Prefix -> URI bindings used by `xpath()` (given, registered, inherited)."""
    def register_namespace(self, prefix: str, uri: str) -> None:
        """Binds `prefix` for this selector's XPath queries and their results."""
    @property
    def root(self) -> Any:
        """The node, text or JSON value this selector stands for."""
    def remove_namespaces(self) -> None:
        """Drops every namespace from an XML document (for all its selectors), so plain
        names match."""
    def drop(self) -> None:
        """Removes this element from its document (its tail text stays), as parsel."""
    def jmespath(self, query: str, **kwargs: Any) -> SelectorList:
        """A JMESPath query over JSON (`type="json"`, or JSON text); needs the `jmespath`
        package."""
    @staticmethod
    def _from_value(value: Any, query: str) -> Selector: ...
    def css(self, query: str) -> SelectorList:
        """Nodes matching a CSS selector (with parsel's `::text` and `::attr(name)`)."""
    def xpath(
        self, query: str, namespaces: Mapping[str, str] | None = None, **variables: Any
    ) -> SelectorList:
        """Results of an XPath 1.0 expression, relative to this selector; `$name` variables
        come from the keyword arguments, prefixes from `namespaces`."""
    def get(self, default: Any = None) -> Any:
        """Outer HTML of an element, text of a text node, value of an attribute (a JSON
        value for `type="json"`)."""
    def getall(self) -> list[Any]:
        """`[self.get()]`, as in parsel."""
    def extract(self) -> Any:
        """The same as `get()` (parsel's older name)."""
    def re(self, regex: str | Pattern[str], replace_entities: bool = True) -> list[str]:
        """Every match of `regex` in `get()`: the groups if it has any, else the whole
        match. Rust's regex engine when it can run the pattern, Python's `re` otherwise
        (look-around, back-references); with `replace_entities`, HTML entities are
        replaced as w3lib does."""
    def re_first(
        self, regex: str | Pattern[str], default: Any = None, replace_entities: bool = True
    ) -> Any:
        """The first result of `re()`, or `default`."""
    @property
    def attrib(self) -> dict[str, str]:
        """The element's attributes (empty for anything else)."""
    def links(self) -> list[str]:
        """Absolute, fragment-free, de-duplicated http(s) links of the document, in order."""
    def urljoin(self, url: str) -> str:
        """`url` made absolute against the page (its `<base href>`, else `base_url`), like
        Scrapy's `response.urljoin`."""
    def text(self) -> str:
        """Visible text under this node (no script/style), whitespace-normalised."""
    @property
    def base_url(self) -> str | None:
        """The URL relative links resolve against, as given (or the response's URL)."""
    def __bool__(self) -> bool:
        """Whether `get()` has something, as parsel."""

def parse_many(
    documents: Iterable[str | bytes], queries: Mapping[str, str], *, threads: int | None = None
) -> Pending[list[dict[str, list[str]] | SelectorError]]:
    """Extracts named queries from many documents on the runtime's blocking threads.

    `await ferrocrawl.parse_many(htmls, {"title": "title::text", "links": "//a/@href"})`
    resolves to one dict per document: name -> list of strings. A query is CSS or XPath:
    the prefix `css:` or `xpath:` says which, else it is XPath when it starts with `/`,
    `./`, `..`, `(`, `@`, a quote or a function call (`count(//a)`). A failing document
    gets the `SelectorError` (or `InternalError` for a bug) instead of a dict. Cancelling
    the awaiting task stops the work.

    Args:
        documents: HTML as `str`, or `bytes` decoded like a response body.
        queries: name -> query.
        threads: threads to parse on (default: one per CPU).
    """

def safe_filename(name: str) -> str:
    """`name` made safe as one file name: its last path component, with control, bidi and
    `<>:"|?*/\\` characters replaced by `_`, dots and spaces trimmed at the ends, Windows
    device names prefixed, at most 255 bytes; `"download"` if nothing is left."""

def _after_fork_in_child() -> None:
    """Resets runtime and loop bridges in a forked child (`os.register_at_fork`)."""

def _shutdown() -> None:
    """`ferrocrawl.shutdown()`: stops the runtime; in-flight calls fail, the next call
    starts a fresh runtime."""

def _panic_in_task(message: str) -> Pending[None]:
    """Test hook: an awaitable whose Rust task panics with `message`."""

def _test_panic(where: str) -> Pending[None]:
    """Test hook: an awaitable whose loop-thread closure panics (`"deliver"` or
    `"progress"`)."""

@final
class Page:
    """One crawled page, as `async for page in ferrocrawl.crawl(...)` yields it.

    A failed fetch is a page too: `error` says why (after the retries) and `status` is set
    if a response came. A 404 is a page with status 404 and no error.
    """

    @property
    def url(self) -> str:
        """The URL fetched last, after redirects (canonical)."""
    @property
    def request_url(self) -> str:
        """The URL as queued, before redirects."""
    @property
    def status(self) -> int | None:
        """The HTTP status, or None when no response came (a connection error)."""
    @property
    def headers(self) -> Headers:
        """The response headers (empty without a response)."""
    @property
    def depth(self) -> int:
        """Links followed to reach this page: start URLs are 0, an `add()`ed URL has the
        `depth` it was given; a redirect is not a step."""
    @property
    def referer(self) -> str | None:
        """The page whose link queued this one, or None."""
    @property
    def elapsed(self) -> float:
        """Seconds from the request to the whole body."""
    @property
    def data(self) -> dict[str, Any]:
        """The `extract=` results: name -> first match (or None), or a list for list
        rules."""
    @property
    def links(self) -> list[str]:
        """Every link on the page, absolute and canonical, followed or not."""
    @property
    def error(self) -> FerrocrawlError | None:
        """Why the page failed after its retries (an exception object), else None."""
    @property
    def ok(self) -> bool:
        """No error and a status below 400."""
    @property
    def body(self) -> bytes:
        """The body as bytes (empty without a response)."""
    def read(self) -> bytes:
        """The body as bytes (not awaited, unlike `Response.read`)."""
    def text(self, encoding: str | None = None, errors: str = "replace") -> str:
        """The body as text, decoded like `Response.text()` (browser rules unless
        `encoding`); not awaited."""
    def selector(self) -> Selector:
        """The body as HTML, with the page's URL as base."""
    def to_dict(self) -> dict[str, Any]:
        """One row for a table (a pandas DataFrame, a CSV): `url`, `status`, `depth`,
        `referer`, `elapsed`, `error` (its message), `links` (how many), then the
        `extract=` fields."""

@disjoint_base
class Crawler:
    """The crawl engine behind `ferrocrawl.crawl()`: `async for page in crawler` runs it.

    The frontier, robots.txt, link extraction, canonical URLs, deduplication, politeness and
    `extract` rules run in Rust; Python receives each page once. `ferrocrawl.Crawler` adds
    `async with` and `run()`.

    Arguments (all but `start_urls` keyword-only):

    - `start_urls`: one URL or several (depth 0).
    - `max_pages`: stop after this many pages (per worker with a Redis `frontier`).
    - `max_depth`: do not follow links deeper than this.
    - `allowed_domains`: hosts (and their subdomains) to stay on; default: the start URLs'
      hosts; an empty list: any host.
    - `allow`: regexes; a link is followed only if one matches its absolute URL.
    - `deny`: regexes; a link matching one is never followed.
    - `follow`: None: every `<a href>` / `<area href>`; False: no link; a CSS or `xpath:`
      query selecting the hrefs to follow.
    - `extract`: name -> CSS, `xpath:...` or `re:...` (a one-element list for every match);
      the results are in `page.data`.
    - `concurrency`: requests in flight in all (64).
    - `per_host`: requests in flight on one host (8).
    - `delay`: least seconds between request starts on a host (0).
    - `rate`: requests per second in all (per worker with Redis; no limit by default).
    - `robots`: obey robots.txt (RFC 9309), `Crawl-delay` included.
    - `sitemaps`: also queue the URLs of `/sitemap.xml` and robots `Sitemap:` lines.
    - `retries`: retries after a connection error, a timeout or 408/429/5xx (2).
    - `state`: an SQLite file: the crawl resumes where it stopped.
    - `frontier`: `redis://host:port/0` or `redis+cluster://...`: one crawl shared by every
      process started with the same `frontier` and `name`.
    - `name`: the crawl's key prefix in Redis.
    - `sink`: where each 2xx page's item `{"url": page.url, **page.data}` is written from
      Rust, in batches: `items.jsonl`, `items.csv`, `sqlite:///items.db?table=items`,
      `redis://host:port/0?key=items&type=hash|list|stream`, `mysql://user:pw@host/db?table=items`,
      or a list of them. A page is acknowledged to `state` only once its item is written.
    - `sink_fields`: page fields added to each item: `status`, `depth`, `fetched_at`.
    - `session`: a `ClientSession` to fetch with.
    - `**client_options`: `ClientSession` options (`headers`, `user_agent`, `proxy`,
      `timeout`, `ssl`, `max_body_size`...) for a session of its own.

    Raises:
        InvalidArgument: an option has a value ferrocrawl cannot use (an invalid `allow`
            or `deny` regex included).
        SelectorError: an invalid `follow` or `extract` query.
        InvalidURL: a `sink` that is not a sink URL.
        SinkError: (from the first `async for` step, before any fetch) a sink that cannot be
            opened: bad credentials, a missing database, a table lacking an item field.
    """

    def __new__(
        cls,
        start_urls: str | Iterable[str],
        *,
        max_pages: int | None = None,
        max_depth: int | None = None,
        allowed_domains: str | Iterable[str] | None = None,
        allow: str | Iterable[str] | None = None,
        deny: str | Iterable[str] | None = None,
        follow: str | bool | None = None,
        extract: Mapping[str, str | list[str]] | None = None,
        concurrency: int = 64,
        per_host: int = 8,
        delay: float = 0.0,
        rate: float | None = None,
        robots: bool = True,
        sitemaps: bool = False,
        retries: int = 2,
        state: str | os.PathLike[str] | None = None,
        frontier: str | None = None,
        name: str | None = None,
        sink: str | Iterable[str] | None = None,
        sink_fields: Iterable[str] | None = None,
        session: ClientSession | None = None,
        **client_options: Any,
    ) -> Crawler: ...
    def __aiter__(self) -> Crawler: ...
    def __anext__(self) -> Awaitable[Page]: ...
    def add(self, urls: str | Iterable[str], depth: int = 0) -> None:
        """Queues more URLs (checked against the crawl's policy and deduplicated, like
        links); with `follow=False`, the list -> detail pattern."""
    def stop(self, abandon: bool = False) -> None:
        """Stops scheduling. In-flight fetches finish and their pages are still delivered,
        unless `abandon`; with `state=`, what was not delivered is fetched on the next
        run."""
    def aclose(self) -> Awaitable[None]:
        """Stops at once and waits until the state is durable; pages not yet taken are
        delivered again by a resumed crawl."""
    @property
    def stats(self) -> dict[str, Any]:
        """Counters of the crawl so far: `pages`, `bytes`, `requests`, `retries`,
        `redirects`, `robots_denied`, `filtered`, `queued`, `in_flight`, `elapsed`,
        `pages_per_second`, `errors` (by kind), `status` (histogram), `hosts`, and with a
        Redis frontier `crawl` (the whole crawl's counters). Empty before the crawl
        starts."""

@disjoint_base
class Sink:
    """Items into a file, SQLite, Redis or MySQL, written from Rust in batches.

    `url` takes the forms of `crawl(sink=...)`. A table (or CSV header) that is missing is
    created from `fields` (or the first batch's fields), `url` as the key; items are
    upserted by `url` in SQLite, MySQL and a Redis hash. `ferrocrawl.Sink` adds
    `async with`, which opens the sink and closes it (writing what is queued).

    Arguments:

    - `fields`: the columns to create a missing table with (besides `url`).
    - `batch_size`: most items in one write (500).
    - `flush_interval`: longest wait, in seconds, for a batch to fill (0.05).

    Raises:
        InvalidURL: `url` is not a sink URL.
    """

    def __new__(
        cls,
        url: str,
        *,
        fields: Iterable[str] | None = None,
        batch_size: int = 500,
        flush_interval: float = 0.05,
    ) -> Sink: ...
    @property
    def url(self) -> str:
        """The sink's URL, password removed."""
    def open(self) -> Coroutine[Any, Any, None]:
        """Connects and checks (or creates) the table; the first `put` does it otherwise.

        Raises:
            SinkError: bad credentials, a missing database, an unusable table.
        """
    def put(self, item: Mapping[str, Any]) -> Coroutine[Any, Any, None]:
        """Queues one item; waits only while the queue is full (backpressure).

        Raises:
            SinkError: the item has a field the table lacks (nothing is queued), or the
                sink has failed.
        """
    def put_many(self, items: Iterable[Mapping[str, Any]]) -> Coroutine[Any, Any, None]:
        """Queues many items, checked first: one with a field the table lacks raises
        `SinkError` before any is queued."""
    def flush(self) -> Coroutine[Any, Any, None]:
        """Waits until every queued item is written."""
    def close(self) -> Coroutine[Any, Any, None]:
        """Writes what is queued and closes the connections; a later `put` raises."""
