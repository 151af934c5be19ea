"""The .pyi stubs match the compiled module and the package (mypy.stubtest).

Deliberate differences go in tests/stubtest_allowlist.txt (one stubtest allowlist entry a line).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ALLOWLIST = Path(__file__).with_name("stubtest_allowlist.txt")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("module", ["ferrocrawl._ferrocrawl", "ferrocrawl"])
def test_stubtest(module):
    cmd = [sys.executable, "-m", "mypy.stubtest", module]
    if ALLOWLIST.exists():
        cmd += ["--allowlist", str(ALLOWLIST)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=280, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
