"""The `ferrocrawl` command: `crawl`, `fetch`, `shell`, `bench`.

Exit codes: 0 done, 1 errors (a failed page, an HTTP error, a fatal error), 2 bad usage. A bad
argument is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import _ferrocrawl
from . import bench, crawl, fetch, shell
from .usage import UsageError

#: Errors a user fixes by changing the command line.
USAGE_ERRORS = (
    UsageError,
    _ferrocrawl.InvalidURL,
    _ferrocrawl.InvalidArgument,
    _ferrocrawl.SelectorError,
)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="ferrocrawl",
        description="Asynchronous web crawling with a Rust engine.",
        epilog="Run `ferrocrawl COMMAND --help` for a command's options.",
    )
    ap.add_argument("--version", action="version", version=f"ferrocrawl {_ferrocrawl.__version__}")
    commands = ap.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (crawl, fetch, shell, bench):
        module.add_parser(commands)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    try:
        return int(args.run(args))
    except USAGE_ERRORS as e:
        print(f"ferrocrawl {args.command}: {e}", file=sys.stderr)
        return 2
    except _ferrocrawl.FerrocrawlError as e:
        print(f"ferrocrawl {args.command}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"ferrocrawl {args.command}: {e}", file=sys.stderr)
        return 1
