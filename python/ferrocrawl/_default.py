"""Module-level ``ferrocrawl.get(url)`` and friends, on one shared default session.

The session is made on first use and again in a forked child; it lives until exit.
"""

from __future__ import annotations

import os
from typing import Any

from ._ferrocrawl import ClientSession, Pending

_session: ClientSession | None = None
_pid = 0


def _default_session() -> ClientSession:
    global _session, _pid
    if _session is None or _pid != os.getpid() or _session.closed:
        _session = ClientSession()
        _pid = os.getpid()
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
