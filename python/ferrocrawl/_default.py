"""Module-level ``ferrocrawl.get(url)`` and friends, on one shared default session.

The session is made on first use and lives until exit; in a forked child it rebuilds its
client by itself (ferrocrawl's one fork hook), so no pid is checked here.
"""

from __future__ import annotations

from typing import Any

from ._ferrocrawl import ClientSession, Pending

_session: ClientSession | None = None


def _default_session() -> ClientSession:
    global _session
    if _session is None or _session.closed:
        _session = ClientSession()
    return _session


def request(method: str, url: Any, **kwargs: Any) -> Pending:
    return _default_session().request(method, url, **kwargs)


def get(url: Any, **kwargs: Any) -> Pending:
    return _default_session().get(url, **kwargs)


def post(url: Any, **kwargs: Any) -> Pending:
    return _default_session().post(url, **kwargs)


def put(url: Any, **kwargs: Any) -> Pending:
    return _default_session().put(url, **kwargs)


def patch(url: Any, **kwargs: Any) -> Pending:
    return _default_session().patch(url, **kwargs)


def delete(url: Any, **kwargs: Any) -> Pending:
    return _default_session().delete(url, **kwargs)


def head(url: Any, **kwargs: Any) -> Pending:
    return _default_session().head(url, **kwargs)


def options(url: Any, **kwargs: Any) -> Pending:
    return _default_session().options(url, **kwargs)
