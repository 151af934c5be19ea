"""Interpreter exit with requests in flight: never a crash, never a hang.

A prototype of this stack crashed at exit in about 1 run in 10 with pyo3-async-runtimes'
implicit runtime; ferrocrawl shuts its own runtime down from atexit. Each case runs in a fresh
interpreter, many times.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    import ferrocrawl

    URL, MODE = sys.argv[1], sys.argv[2]

    async def main():
        s = ferrocrawl.ClientSession()
        # requests still running when the loop (and then the interpreter) goes away
        tasks = [asyncio.ensure_future(s.get(URL)) for _ in range(20)]
        await asyncio.sleep(0.05)
        if MODE == "exit-in-loop":
            sys.exit(0)
        return tasks

    if MODE == "no-loop":
        ferrocrawl.ClientSession()  # a session, never used
    else:
        asyncio.run(main())
    print("ok")
    """
)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode", ["pending-at-exit", "exit-in-loop", "no-loop"])
def test_exit_with_work_in_flight(server, mode):
    url = server.url("/slow?delay=5")
    for _ in range(10):
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT, url, mode],
            capture_output=True,
            text=True,
            timeout=20,
            stdin=subprocess.DEVNULL,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "panicked" not in proc.stderr
