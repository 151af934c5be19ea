"""The `ferrocrawl` command end to end against the local sites: outputs parsed, exit codes,
Ctrl-C keeping the state, progress on a terminal and not in a pipe."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import ferrocrawl
import pytest

from tests.servers.site import SiteServer
from tests.servers.sitegen import canonical_url

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "ferrocrawl"]


def cli(*args: str, stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=timeout
    )


@pytest.fixture(scope="module")
def plain() -> Iterator[SiteServer]:
    """A 60-page site without the special pages (every page answers 200): exit code 0."""
    with SiteServer(60, specials=False) as srv:
        yield srv


@pytest.fixture
def plain_site(plain: SiteServer) -> SiteServer:
    plain.reset()
    return plain


def reachable(site: SiteServer) -> set[str]:
    return {canonical_url(site.url(t)) for t in site.expected("/")}


def test_version():
    run = cli("--version")
    assert run.returncode == 0
    assert run.stdout.strip() == f"ferrocrawl {ferrocrawl.__version__}"
    script = shutil.which("ferrocrawl", path=os.path.dirname(sys.executable))
    if script:  # installed (make install): the console script is the same command
        out = subprocess.run([script, "--version"], capture_output=True, text=True)
        assert out.stdout == run.stdout


def test_crawl_writes_one_jsonl_record_per_page(plain_site, tmp_path):
    out = tmp_path / "out.jsonl"
    run = cli(
        "crawl", plain_site.url("/"), "-o", str(out), "--no-progress",
        "--extract", "title=title::text", "--extract", "hrefs[]=a::attr(href)",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    urls = [r["url"] for r in records]
    assert len(urls) == len(set(urls))
    assert set(urls) == reachable(plain_site)
    for r in records:
        assert set(r) == {"url", "title", "hrefs"}
        assert isinstance(r["title"], str) and r["title"]
        assert isinstance(r["hrefs"], list)
    # the summary: pages, rate, status histogram; nothing else on stderr
    assert re.search(rf"^{len(records)} pages in [\d.]+ s \([\d,]+ pages/s\)", run.stderr, re.M)
    assert f"200: {len(records)}" in run.stderr
    assert "queued" not in run.stderr  # no progress line when stderr is not a terminal


def test_crawl_writes_csv_and_stdout(plain_site, tmp_path):
    out = tmp_path / "out.csv"
    run = cli("crawl", plain_site.url("/"), "-o", str(out), "--extract", "h1=h1::text")
    assert run.returncode == 0, run.stderr
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and list(rows[0]) == ["url", "h1"]
    assert {r["url"] for r in rows} == reachable(plain_site)
    run = cli("crawl", plain_site.url("/"), "-o", "-", "--max-pages", "5")
    assert run.returncode == 0, run.stderr
    assert len([json.loads(line) for line in run.stdout.splitlines()]) == 5


def test_crawl_to_sqlite_and_overwrite(plain_site, tmp_path):
    db, out = tmp_path / "items.db", tmp_path / "out.jsonl"
    out.write_text('{"url": "stale"}\n')
    run = cli(
        "crawl", plain_site.url("/"), "-o", f"sqlite:///{db}?table=pages", "-O", str(out),
        "--extract", "title=title::text", "--sink-fields", "status,depth", "--no-progress",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    con = sqlite3.connect(db)
    rows = con.execute("SELECT url, title, status FROM pages").fetchall()
    con.close()
    assert {r[0] for r in rows} == reachable(plain_site)
    assert all(title and status == 200 for _, title, status in rows)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["url"] for r in records) == sorted(r[0] for r in rows)  # stale line gone
    assert f"{len(rows)} records" in run.stderr


def test_a_crawl_with_failed_pages_exits_1(site):
    run = cli("crawl", site.url("/"), "--max-pages", "400", "--no-progress")
    # the generated site has 5xx and refused redirects among its special pages
    errors = re.search(r"^errors: (.*)$", run.stderr, re.M)
    assert (run.returncode, bool(errors)) in ((1, True), (0, False)), run.stderr
    full = cli("crawl", site.url("/"), "--no-progress")
    assert full.returncode == 1 and "errors: " in full.stderr, full.stderr


@pytest.mark.parametrize(
    "args, needle",
    [
        (["crawl", "not a url"], "invalid URL"),
        (["crawl", "http://127.0.0.1:9/", "--extract", "x=xpath://["], "x"),
        (["crawl", "http://127.0.0.1:9/", "--extract", "nothing"], "NAME=SELECTOR"),
        (["crawl", "http://127.0.0.1:9/", "-o", "out.txt"], "not a sink"),
        (["crawl", "http://127.0.0.1:9/", "-O", "redis://127.0.0.1:9/0"], "only a file"),
        (["crawl", "http://127.0.0.1:9/", "--sink-fields", "status"], "goes with -o"),
        (["crawl", "http://127.0.0.1:9/", "--per-host", "0"], "per_host"),
        (["crawl", "http://127.0.0.1:9/", "--frontier", "redis://127.0.0.1:9/0"], "name"),
        (["crawl", "--colour", "http://127.0.0.1:9/"], "unrecognized arguments"),
        (["fetch", "http://127.0.0.1:9/", "-H", "no colon"], "NAME: VALUE"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_usage_is_one_clear_line_and_exit_2(args, needle):
    run = cli(*args)
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert needle in run.stderr
    assert "Traceback" not in run.stderr
    # argparse prints its usage first; ours is exactly one line
    if "usage:" not in run.stderr:
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_fetch_prints_body_headers_or_selected_values(plain_site):
    url = plain_site.url("/")
    body = cli("fetch", url)
    assert body.returncode == 0 and "<html" in body.stdout.lower()
    heads = cli("fetch", url, "--headers")
    assert heads.stdout.startswith("HTTP 200 OK\n")
    assert re.search(r"^content-type: text/html", heads.stdout, re.I | re.M)
    titles = cli("fetch", url, "--css", "title::text", "--xpath", "count(//a)")
    title, count = titles.stdout.splitlines()
    assert title == ferrocrawl.Selector(body.stdout).css("title::text").get()
    assert float(count) > 0
    missing = cli("fetch", plain_site.url("/no/such/page"))
    assert missing.returncode == 1
    refused = cli("fetch", "http://127.0.0.1:9/")
    assert refused.returncode == 1 and "ConnectError" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_shell_runs_top_level_await_with_the_page_ready(plain_site):
    url = plain_site.url("/")
    script = (
        "print('links=' + sel.xpath('count(//a)').get())\n"
        f"r = await session.get({url!r} + 'p/1')\n"
        "print('status', r.status, resp.status)\n"
        "1 / 0\n"
        "print('still here')\n"
    )
    run = cli("shell", url, stdin=script, timeout=60)
    assert run.returncode == 0, run.stderr
    assert re.search(r"links=[1-9]", run.stdout), run.stdout
    assert "status 200 200" in run.stdout
    assert "ZeroDivisionError" in run.stderr  # shown, and the console goes on
    assert "still here" in run.stdout


def test_bench_crawls_its_own_site():
    run = cli("bench", "--pages", "300", "--no-progress")
    assert run.returncode == 0, run.stderr
    assert re.fullmatch(r"300 pages in [\d.]+ s: [\d,]+ pages/s\n", run.stdout), run.stdout


def test_ctrl_c_stops_keeps_the_state_and_a_rerun_resumes(site, tmp_path):
    site.configure(page_delay=0.005)
    state, first, second = tmp_path / "crawl.db", tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    args = ["crawl", site.url("/"), "--state", str(state), "--concurrency", "4", "--no-progress"]
    proc = subprocess.Popen(
        [*CLI, *args, "-o", str(first)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while (not first.exists() or len(first.read_text().splitlines()) < 100) and proc.poll() is None:
        assert time.monotonic() < deadline, "no records"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 1), err
    assert "stopping" in err and "Traceback" not in err
    got_first = [json.loads(line)["url"] for line in first.read_text().splitlines()]
    assert len(got_first) < len(site.expected("/"))
    again = cli(*args, "-o", str(second), timeout=120)
    got_second = [json.loads(line)["url"] for line in second.read_text().splitlines()]
    assert not set(got_first) & set(got_second), "a graceful stop acknowledges what it delivered"
    ok_pages = cli("crawl", site.url("/"), "-o", "-", "--no-progress")
    assert set(got_first) | set(got_second) == {
        json.loads(line)["url"] for line in ok_pages.stdout.splitlines()
    }, again.stderr


def test_a_second_ctrl_c_aborts(site, tmp_path):
    site.configure(slow_delay=30)  # the first Ctrl-C would wait for these
    slow = [site.url(f"/slow/{k}") for k in range(3)]
    proc = subprocess.Popen(
        [*CLI, "crawl", *slow, "--no-robots", "--state", str(tmp_path / "s.db")],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "Traceback" not in err


def read_pty(fd: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> str:
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the other side closed
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    return b"".join(chunks).decode(errors="replace")


def test_progress_on_a_terminal_not_in_a_pipe(plain_site):
    master, slave = pty.openpty()
    # a new pseudo-terminal is 0 columns wide: give it a terminal's size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen(
        [*CLI, "crawl", plain_site.url("/")],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )
    os.close(slave)
    try:
        shown = read_pty(master, proc)
    finally:
        os.close(master)
    assert proc.wait(30) == 0
    assert re.search(r"crawl: \d+ pages", shown), shown
    assert "queued" in shown and "in flight" in shown
    piped = cli("crawl", plain_site.url("/"))
    assert "queued" not in piped.stderr and "crawl:" not in piped.stderr
