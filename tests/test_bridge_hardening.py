"""The bridge under abuse: shared awaitables, closed loops, forks, panics on the loop thread,
protocol edges, parse_many's worker pool. Each test failed on the bridge before issue 6."""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import os
import subprocess
import sys
import textwrap
import time
import weakref
from pathlib import Path

import ferrocrawl
import pytest
from ferrocrawl import _ferrocrawl


def run_script(script: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter: no pytest threads to copy into a fork, its own signal dispositions."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


# ---- one call, two awaiters ----------------------------------------------------------------


async def test_second_awaiter_is_refused_and_first_gets_the_response(server, key):
    async with ferrocrawl.ClientSession() as s:
        p = s.get(server.url(f"/slow?key={key}&delay=0.3"))
        first = asyncio.ensure_future(p)
        await asyncio.sleep(0.05)  # first is waiting on the request now
        second = asyncio.ensure_future(p)
        with pytest.raises(RuntimeError, match="already being awaited"):
            await second
        assert (await first).status == 200
        with pytest.raises(RuntimeError, match="already awaited"):
            await p


# ---- a loop closed with work in flight -----------------------------------------------------


def test_loop_closed_with_requests_in_flight_is_collected(server, key):
    s = ferrocrawl.ClientSession()
    loop = asyncio.new_event_loop()
    tasks = [loop.create_task(s.get(server.url(f"/slow?key={key}&delay=3"))) for _ in range(3)]
    loop.run_until_complete(asyncio.sleep(0.1))
    loop.close()
    ref = weakref.ref(loop)
    del loop, tasks
    gc.collect()
    assert ref() is None, "the closed loop is still referenced (by its futures)"


def test_pending_in_a_cycle_is_collected(server, key):
    s = ferrocrawl.ClientSession()
    loop = asyncio.new_event_loop()

    async def start():
        p = s.get(server.url(f"/slow?key={key}&delay=3"))
        fut = p.send(None)  # started: p holds the future, which now holds p
        fut.add_done_callback(functools.partial(lambda p, f: None, p))

    loop.run_until_complete(start())
    loop.close()
    ref = weakref.ref(loop)
    del loop
    gc.collect()
    assert ref() is None, "Pending does not show the collector what it holds"


def test_completions_after_the_loop_closed_raise_no_sigpipe(server, key):
    proc = run_script(
        """
        import asyncio, gc, signal, sys, time, weakref
        import ferrocrawl

        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # as some hosts leave it
        s = ferrocrawl.ClientSession()
        loop = asyncio.new_event_loop()
        tasks = [loop.create_task(s.get(sys.argv[1])) for _ in range(5)]
        loop.run_until_complete(asyncio.sleep(0.2))
        loop.close()
        ref = weakref.ref(loop)
        del loop, tasks
        gc.collect()
        time.sleep(1.0)  # the requests finish now, with their loop gone
        print("alive" if ref() is not None else "freed")
        """,
        server.url(f"/slow?key={key}&delay=0.4"),
    )
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    assert proc.stdout.split() == ["freed"]


# ---- fork while a batch runs ---------------------------------------------------------------

FORK_SCRIPT = """
import asyncio, json, os, signal, sys, threading, time
import ferrocrawl

URL = sys.argv[1]
FORKS = int(sys.argv[2])
report = {"children": [], "forks": 0}

def child():
    signal.alarm(15)  # a child deadlocked on an inherited lock must not hang the test
    async def one():
        async with ferrocrawl.ClientSession() as s:
            return (await s.get(URL)).status
    try:
        code = 0 if asyncio.run(asyncio.wait_for(one(), 10)) == 200 else 3
    except BaseException as e:
        print("child failed:", type(e).__name__, e, file=sys.stderr)
        code = 4
    sys.stderr.flush()
    os._exit(code)

def forker(running):
    while running.is_set() and report["forks"] < FORKS:
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            child()
        report["forks"] += 1
        # the child can hang before its alarm is set (in the fork hook itself)
        while time.monotonic() - t0 < 20:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.02)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            report["children"].append(["hang", 20])
            continue
        took = round(time.monotonic() - t0, 2)
        if os.WIFSIGNALED(status):
            report["children"].append(["signal %d" % os.WTERMSIG(status), took])
        else:
            report["children"].append([os.WEXITSTATUS(status), took])
        time.sleep(0.01)

async def main():
    running = threading.Event()
    running.set()
    t = threading.Thread(target=forker, args=(running,))
    async with ferrocrawl.ClientSession(limit=64) as s:
        t.start()
        rounds = 0
        while t.is_alive() and rounds < 20:
            out = await s.get_many([URL] * 2000, concurrency=64)
            assert all(r.status == 200 for r in out)
            rounds += 1
        running.clear()
    t.join()
    report["rounds"] = rounds

asyncio.run(main())
print(json.dumps(report))
"""


@pytest.mark.timeout(300)
def test_fork_while_a_batch_runs_gives_a_working_child(server):
    proc = run_script(FORK_SCRIPT, server.url("/echo"), "12", timeout=280)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["forks"] >= 5, report
    bad = [c for c in report["children"] if c[0] != 0]
    assert not bad, f"{bad} of {report['children']}\n{proc.stderr[-2000:]}"


def test_shutdown_fails_calls_in_flight_and_the_next_call_works(server, key):
    async def main():
        async with ferrocrawl.ClientSession() as s:
            t = asyncio.ensure_future(s.get(server.url(f"/slow?key={key}&delay=5")))
            await asyncio.sleep(0.1)
            ferrocrawl.shutdown()
            with pytest.raises(RuntimeError, match="runtime stopped"):
                await asyncio.wait_for(t, 5)
            return (await s.get(server.url("/echo"))).status

    assert asyncio.run(main()) == 200


# ---- panics and exceptions on the loop thread ----------------------------------------------


async def _started_then_blocked(coros):
    """Tasks started, then the loop blocked while they finish: one drain resolves them all."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    await asyncio.sleep(0.01)
    time.sleep(0.5)  # noqa: ASYNC251 - blocks the loop on purpose
    return tasks


async def test_panic_on_the_loop_thread_fails_only_its_own_future(server):
    async with ferrocrawl.ClientSession() as s:
        coros = [_ferrocrawl._test_panic("deliver")]
        coros += [s.get(server.url("/echo")) for _ in range(4)]
        coros += [_ferrocrawl._test_panic("progress")]
        tasks = await _started_then_blocked(coros)
        results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
    assert isinstance(results[0], ferrocrawl.InternalError) and "boom in deliver" in str(results[0])
    assert [r.status for r in results[1:5]] == [200] * 4
    assert isinstance(results[5], ferrocrawl.InternalError), results[5]
    assert "boom in progress" in str(results[5])


def test_keyboard_interrupt_while_resolving_is_raised_after_the_batch(server):
    interrupted = []

    class Future(asyncio.Future):
        def set_result(self, result):
            if not interrupted:
                interrupted.append(self)
                raise KeyboardInterrupt  # as a signal handler would, in the middle
            super().set_result(result)

    class Loop(asyncio.SelectorEventLoop):
        def create_future(self):
            return Future(loop=self)

    loop = Loop()
    tasks: list[asyncio.Future] = []

    async def main():
        s = ferrocrawl.ClientSession()
        tasks.extend(asyncio.ensure_future(s.get(server.url("/echo"))) for _ in range(4))
        await asyncio.sleep(0)  # the tasks start (no future of ours is set before theirs)
        time.sleep(0.5)  # noqa: ASYNC251 - the loop is blocked while all four finish
        never = asyncio.get_running_loop().create_future()  # cancelled, never set
        asyncio.get_running_loop().call_later(3, never.cancel)
        await never

    try:
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(main())
        done, _ = loop.run_until_complete(asyncio.wait(tasks, timeout=5))
        assert len(done) == 3 and all(t.result().status == 200 for t in done)
    finally:
        leftover = asyncio.all_tasks(loop)
        for t in leftover:
            t.cancel()
        if leftover:
            loop.run_until_complete(asyncio.wait(leftover))
        loop.close()


# ---- protocol edges -------------------------------------------------------------------------


async def test_ready_awaited_twice_is_an_error(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/echo"))
        text = r.text()
        assert "GET" in await text
        with pytest.raises(RuntimeError, match="already awaited"):
            await text
        closing = s.close()
        await closing
        with pytest.raises(RuntimeError, match="already awaited"):
            await closing


MYPY_SNIPPET = """
import asyncio

import ferrocrawl


async def main(s: ferrocrawl.ClientSession) -> None:
    task: asyncio.Task[ferrocrawl.Response] = asyncio.create_task(s.get("http://127.0.0.1/"))
    resp = await task
    assert resp.status
    many = await asyncio.gather(s.get("http://127.0.0.1/a"), s.get("http://127.0.0.1/b"))
    assert many[0].status
    fut = asyncio.ensure_future(s.get("http://127.0.0.1/c"))
    assert (await fut).status
"""


@pytest.mark.timeout(300)
def test_mypy_accepts_pending_as_a_coroutine(tmp_path):
    pytest.importorskip("mypy")
    (tmp_path / "use_pending.py").write_text(MYPY_SNIPPET)
    package_root = str(Path(ferrocrawl.__file__).resolve().parent.parent)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--follow-imports=silent",
            "use_pending.py",
        ],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": package_root},
        capture_output=True,
        text=True,
        timeout=280,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]


# ---- parse_many ----------------------------------------------------------------------------

PAGE = "<html><body>" + "<div><p class=x>text</p><a href='/a'>a</a></div>" * 3000 + "</body></html>"


async def test_parse_many_stops_when_its_awaiter_is_cancelled():
    start = time.monotonic()
    await ferrocrawl.parse_many([PAGE] * 4, {"p": "//p/text()"}, threads=1)
    per_page = (time.monotonic() - start) / 4
    pages = max(8, int(3.0 / max(per_page, 1e-4)))  # about 3 s of work on one thread
    task = asyncio.ensure_future(
        ferrocrawl.parse_many([PAGE] * pages, {"p": "//p/text()"}, threads=1)
    )
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.1)  # the page being parsed when it was cancelled
    cpu = time.process_time()
    await asyncio.sleep(1.0)
    used = time.process_time() - cpu
    assert used < 0.4, f"{used:.2f} s of CPU spent after the cancel ({pages} pages)"


def test_parse_many_decodes_bytes_off_the_gil():
    # windows-1252 text that must be decoded, versus the same size already a str: building
    # the call (the part that holds the GIL) must not cost a decode per document.
    body = ("<html><head><meta charset=windows-1252></head><body>" + "caf\xe9 " * 1_000_000).encode(
        "cp1252"
    )
    text = body.decode("cp1252")
    queries = {"t": "title::text"}

    def call_time(docs) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            pending = ferrocrawl.parse_many(docs, queries)
            best = min(best, time.perf_counter() - start)
            pending.close()
        return best

    as_bytes = call_time([body] * 8)
    as_str = call_time([text] * 8)
    assert as_bytes < 3 * as_str + 0.005, (
        f"bytes {as_bytes * 1e3:.1f} ms, str {as_str * 1e3:.1f} ms"
    )
