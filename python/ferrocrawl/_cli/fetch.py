"""`ferrocrawl fetch URL`: one request; the body, the headers or selected values.

With `--css`/`--xpath`, each match is printed on its own line (`::text` and
`::attr(name)` work as in the Selector). Exit 1 on an HTTP status of 400 or more.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from .. import _ferrocrawl
from .usage import UsageError


def add_parser(commands: Any) -> None:
    p = commands.add_parser("fetch", help="fetch one URL", description=__doc__)
    p.add_argument("url", metavar="URL")
    p.add_argument("--headers", action="store_true", help="print the status and headers only")
    p.add_argument("--css", action="append", default=[], metavar="QUERY")
    p.add_argument("--xpath", action="append", default=[], metavar="QUERY")
    p.add_argument(
        "-H", "--header", action="append", default=[], metavar="'NAME: VALUE'", help="send it"
    )
    p.add_argument("--user-agent")
    p.set_defaults(run=run)


def request_headers(specs: list[str]) -> dict[str, str]:
    headers = {}
    for spec in specs:
        name, sep, value = spec.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"-H {spec!r}: expected 'NAME: VALUE'")
        headers[name.strip()] = value.strip()
    return headers


async def fetch(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {"headers": request_headers(args.header)}
    if args.user_agent:
        options["user_agent"] = args.user_agent
    async with _ferrocrawl.ClientSession(**options) as session:
        resp = await session.get(args.url)
        if args.headers:
            print(f"HTTP {resp.status} {resp.reason}")
            for name, value in resp.headers.items():
                print(f"{name}: {value}")
        elif args.css or args.xpath:
            sel = resp.selector()
            for query in args.css:
                for value in sel.css(query).getall():
                    print(value)
            for query in args.xpath:
                for value in sel.xpath(query).getall():
                    print(value)
        else:
            sys.stdout.write(await resp.text())
            sys.stdout.flush()
        return 1 if resp.status >= 400 else 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(fetch(args))
