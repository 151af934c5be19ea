"""Fixtures of the hostile suite (the session's servers come from tests/conftest.py).

scripted(script, host="127.0.0.1", ssl_context=None, ...)   a Scripted server (scripted.py)
                                                              running `script` on every
                                                              connection, closed after the test
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .scripted import Script, Scripted


@pytest.fixture
def scripted() -> Iterator[Callable[..., Scripted]]:
    servers: list[Scripted] = []

    def start(script: Script, **kwargs: Any) -> Scripted:
        srv = Scripted(script, **kwargs)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.close()
    for srv in servers:
        assert not srv.errors, f"a server script failed: {srv.errors!r}"
