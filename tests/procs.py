"""A crawl script in a child process, run to its end or killed with SIGKILL mid-crawl (the
resume tests): each line it prints is one page."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_script(script: str, args: list[str], kill_after: int | None = None) -> list[str]:
    """The lines `python -c script *args` printed; with `kill_after`, SIGKILL once it has
    printed that many (lines already in the pipe are kept). Run to its end, it must exit 0."""
    lines: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())
            if kill_after is not None and len(lines) >= kill_after:
                os.kill(proc.pid, signal.SIGKILL)
                break
        lines += [line.strip() for line in proc.stdout]  # printed before the kill
        proc.wait(timeout=120)
    if kill_after is None:
        assert proc.returncode == 0
    return lines
