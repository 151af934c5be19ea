"""Per-key counters the behaviour app records, readable from the test thread.

Tests pick a fresh key (`server.key()`), pass it in the query string, and then ask the state
what the server saw: hits, in-flight maxima, Range headers, whether a connection closed.
The server thread writes, the test thread reads; every update is a single dict/list operation
under the GIL, and the waits poll with a deadline.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SlowRecord:
    started: float | None = None
    closed: float | None = None  # the client's connection went away before the handler ended
    finished: float | None = None  # the handler ran to its end (the client waited it out)

    def as_dict(self) -> dict[str, Any]:
        return {
            "started": self.started is not None,
            "closed": self.closed is not None,
            "finished": self.finished is not None,
        }


@dataclass
class ServerState:
    hits: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    hit_times: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    inflight: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    max_inflight: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    ranges: defaultdict[str, list[str | None]] = field(default_factory=lambda: defaultdict(list))
    if_ranges: defaultdict[str, list[str | None]] = field(default_factory=lambda: defaultdict(list))
    slow: defaultdict[str, SlowRecord] = field(default_factory=lambda: defaultdict(SlowRecord))

    @staticmethod
    def key() -> str:
        return uuid.uuid4().hex[:12]

    def hit(self, key: str) -> int:
        self.hits[key] += 1
        self.hit_times[key].append(time.monotonic())
        return self.hits[key]

    def closed(self, key: str) -> bool:
        return self.slow[key].closed is not None

    async def wait_closed(self, key: str, timeout: float = 5.0) -> bool:
        """True once the server saw the client's connection for `key` close (polls, bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.closed(key):
                return True
            await asyncio.sleep(0.02)
        return self.closed(key)

    def wait_closed_sync(self, key: str, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.closed(key):
            time.sleep(0.02)
        return self.closed(key)


def _app_keys() -> tuple[Any, Any]:
    from pathlib import Path

    from aiohttp import web

    return web.AppKey("state", ServerState), web.AppKey("files_dir", Path)


STATE, FILES_DIR = _app_keys()
