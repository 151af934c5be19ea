"""The README's first commands on a fresh machine: Python 3.10 (no tomllib), PEP 668, python3."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def python310() -> str | None:
    """A working Python 3.10 (a pyenv shim may exist without one)."""
    candidates = [
        shutil.which("python3.10"),
        *glob.glob(os.path.expanduser("~/.pyenv/versions/3.10.*/bin/python3.10")),
    ]
    for py in filter(None, candidates):
        check = subprocess.run(
            [py, "-c", "import sys; assert sys.version_info[:2] == (3, 10)"], capture_output=True
        )
        if check.returncode == 0:
            return py
    return None


PY310 = python310()


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MAKEFLAGS": ""},
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.skipif(PY310 is None, reason="needs a Python 3.10 interpreter")
def test_make_deps_reads_the_extras_on_python_310():
    # PIP=: runs every pip command as a no-op: only the reading of pyproject.toml is tested.
    py = PY310
    run = make("deps", f"PYTHON={py}", "PIP=:")
    assert run.returncode == 0, run.stderr
    run = make("extras", f"PYTHON={py}", "EXTRAS=dev bench")
    assert run.returncode == 0, run.stderr
    assert "pytest>=8" in run.stdout.splitlines()
    assert any(line.startswith("aiohttp") for line in run.stdout.splitlines())
    assert not (ROOT / ".deps.txt").exists()


def test_readme_first_commands_work_on_a_fresh_debian():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert first_block is not None
    commands = first_block.group(1).splitlines()
    assert commands[0].startswith("make install && ")
    assert commands[1].startswith("make test")
    # Debian has `python3`, not `python`; system pip is blocked outside a virtualenv.
    assert not re.search(r"(^|&& )python ", first_block.group(1), re.M)
    # the README opens with the commands; how to run them on a fresh machine follows at once
    assert readme.startswith("# ferrocrawl\n\n```bash\n")
    right_after = readme[first_block.end() :][:600]
    assert "python3 -m venv" in right_after and "PEP 668" in right_after
    assert "Unix only" in readme
