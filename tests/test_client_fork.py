"""os.fork(): the child gets a working client (fresh runtime), never a hang; the parent is fine.

Runs in a fresh interpreter so the fork does not copy pytest's threads.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, os, signal, sys, time
    import ferrocrawl

    URL = sys.argv[1]
    USE_BEFORE_FORK = sys.argv[2] == "1"

    async def one():
        async with ferrocrawl.ClientSession() as s:
            r = await s.get(URL)
            return r.status, (await r.json())["method"]

    async def module_level():
        r = await ferrocrawl.get(URL)
        return r.status

    report = {}
    if USE_BEFORE_FORK:
        report["parent_before"] = asyncio.run(one())
        report["parent_module_before"] = asyncio.run(module_level())

    pid = os.fork()
    if pid == 0:
        signal.alarm(20)  # a hang in the child must not hang the test
        code = 0
        try:
            assert asyncio.run(one()) == (200, "GET")
            assert asyncio.run(module_level()) == 200
        except ferrocrawl.FerrocrawlError as e:
            print("child FerrocrawlError:", type(e).__name__, e, file=sys.stderr)
            code = 3
        except BaseException as e:
            print("child failed:", type(e).__name__, e, file=sys.stderr)
            code = 4
        sys.stderr.flush()
        os._exit(code)

    deadline = time.monotonic() + 30
    status = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        report["child"] = "hang"
    if "child" not in report:
        if os.WIFSIGNALED(status):
            report["child"] = "signal %d" % os.WTERMSIG(status)
        else:
            report["child"] = os.WEXITSTATUS(status)
    report["parent_after"] = asyncio.run(one())
    print(json.dumps(report))
    """
)


def run(url: str, use_before: bool) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, "1" if use_before else "0"],
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]) | {"stderr": proc.stderr}


def test_fork_after_use(server):
    out = run(server.url("/echo"), True)
    assert out["parent_before"] == [200, "GET"] and out["parent_module_before"] == 200
    assert out["child"] == 0, out["stderr"]
    assert out["parent_after"] == [200, "GET"]


def test_fork_before_first_use(server):
    out = run(server.url("/echo"), False)
    assert out["child"] == 0, out["stderr"]
    assert out["parent_after"] == [200, "GET"]
