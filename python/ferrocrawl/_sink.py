"""``ferrocrawl.Sink``: the Rust sink, plus ``async with`` (open, then close on the way out)."""

from __future__ import annotations

from . import _ferrocrawl


class Sink(_ferrocrawl.Sink):
    """Items into a file, SQLite, Redis or MySQL, written from Rust in batches.

    ``async with Sink(url) as sink`` opens it (bad credentials raise there) and, on the way
    out, writes everything queued and closes the connections.
    """

    async def __aenter__(self) -> Sink:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
