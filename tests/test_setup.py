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


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert first_block is not None
    return [line.split("  #")[0].strip() for line in first_block.group(1).splitlines()]


def test_readme_first_commands_work_on_a_fresh_debian():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    install, test = readme_commands()
    # a virtualenv first (PEP 668), then the install and the main job on the embedded default
    assert install.startswith("python3 -m venv .venv && . .venv/bin/activate && make install && ")
    assert install.endswith("ferrocrawl bench")
    # the second is exactly what CI runs
    assert test == "make test"
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)
    # Debian has `python3`, not `python`
    assert not re.search(r"(^|&& )python ", install)
    # the README opens with the commands; how to run them on a fresh machine follows at once
    assert readme.startswith("# ferrocrawl\n\n```bash\n")
    right_after = readme[readme.index("```\n", 12) :][:800]
    assert "python3-venv" in right_after and "PEP 668" in right_after
    assert "Unix only" in readme


@pytest.mark.timeout(1500)
@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_readme_first_command_installs_and_runs_in_a_fresh_virtualenv(tmp_path):
    """The README's first line, as written, in a copy of the checkout: a new virtualenv, make
    install into it, ferrocrawl bench. The Rust build reuses this checkout's target folder."""
    install, _ = readme_commands()
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    copy = tmp_path / "checkout"
    for name in filter(None, files):
        src, dst = ROOT / os.fsdecode(name), copy / os.fsdecode(name)
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    # as on a fresh shell: not inside this run's virtualenv, make or PYTHONPATH
    unset = ("VIRTUAL_ENV", "PYTHONPATH", "MAKELEVEL", "MAKEFLAGS", "MFLAGS")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["CARGO_TARGET_DIR"] = str(ROOT / "target")
    run = subprocess.run(
        ["bash", "-c", install],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=1400,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert re.search(r"^5,000 pages in [\d.]+ s: [\d,]+ pages/s$", run.stdout, re.M), run.stdout[
        -2000:
    ]
    venv_python = copy / ".venv" / "bin" / "python3"
    where = subprocess.run(
        [str(venv_python), "-c", "import ferrocrawl; print(ferrocrawl.__file__)"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert where.stdout.startswith(str(copy)), where  # the venv's ferrocrawl is the copy's
