"""Run a notebook headless with nbclient, in a fresh interpreter (its own warnings and loop).

    outputs = run_notebook(["import ferrocrawl", "r = await ferrocrawl.get(URL)\\nprint(r.status)"])
    # -> list, one entry per cell, each the cell's stdout + text/plain results joined
    nb = execute(Path("notebooks/quickstart.ipynb"))   # a notebook file: the executed notebook

As a script: `python -m tests.servers.notebook IN.ipynb OUT.ipynb` executes IN into OUT.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def build(cells: list[str]) -> dict:  # type: ignore[type-arg]
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb  # type: ignore[no-any-return]


def _s(v: str | list[str]) -> str:
    return v if isinstance(v, str) else "".join(v)


def cell_text(cell: dict) -> str:  # type: ignore[type-arg]
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            out.append(_s(o["text"]))
        elif o.get("output_type") in ("execute_result", "display_data"):
            out.append(_s(o["data"].get("text/plain", "")))
        elif o.get("output_type") == "error":
            out.append(f"ERROR {o['ename']}: {o['evalue']}")
    return "".join(out)


def run_notebook(cells: list[str], timeout: float = 90) -> list[str]:
    import nbformat

    with tempfile.TemporaryDirectory(prefix="fc-nb-") as d:
        src = Path(d, "in.ipynb")
        nbformat.write(build(cells), src)
        nb = execute(src, timeout)
        return [cell_text(c) for c in nb["cells"]]


def execute(src: Path, timeout: float = 90) -> dict:  # type: ignore[type-arg]
    """Runs the notebook file `src` in a fresh interpreter; returns the executed notebook."""
    with tempfile.TemporaryDirectory(prefix="fc-nb-") as d:
        dst = Path(d, "out.ipynb")
        # kernelspecs often start plain `python`: make that this interpreter
        path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
        env = dict(
            os.environ,
            PATH=path,
            PYTHONWARNINGS="ignore",
            JUPYTER_PLATFORM_DIRS="1",
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        proc = subprocess.run(
            [sys.executable, "-m", "tests.servers.notebook", str(src), str(dst)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout + 30,
            stdin=subprocess.DEVNULL,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"notebook run failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        return json.loads(dst.read_text())  # type: ignore[no-any-return]


def _main(src: str, dst: str) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(src, as_version=4)
    # allow_errors: a failing cell is reported in its outputs ("ERROR ...") for the test to show
    NotebookClient(
        nb,
        timeout=60,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(ROOT)}},
    ).execute()
    nbformat.write(nb, dst)


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2])
