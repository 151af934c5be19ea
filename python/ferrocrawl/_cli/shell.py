"""`ferrocrawl shell URL`: an interactive asyncio console with the page ready.

`resp` (the response), `sel` (its Selector), `session` (the ClientSession) and
`ferrocrawl` are defined; top-level `await` works (`resp = await session.get(url)`), as
in a notebook or `python -m asyncio`.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import builtins
import code
import inspect
import types
from typing import Any

BANNER = """ferrocrawl shell: resp = {status} {url}
  resp, sel = resp.selector(), session (a ClientSession), ferrocrawl
  sel.css("title::text").get()   await session.get(url)   Ctrl-D to quit"""


def add_parser(commands: Any) -> None:
    p = commands.add_parser("shell", help="an asyncio console with the page", description=__doc__)
    p.add_argument("url", metavar="URL")
    p.set_defaults(run=run)


class AsyncConsole(code.InteractiveConsole):
    """A console whose code may ``await``: each statement runs to its end on ``loop``."""

    def __init__(self, local: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(local)
        self.compile.compiler.flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        self.loop = loop

    def runcode(self, codeobj: types.CodeType) -> None:
        try:
            result = types.FunctionType(codeobj, self.locals)()  # type: ignore[arg-type]
            if inspect.iscoroutine(result):
                self.loop.run_until_complete(result)
        except SystemExit:
            raise
        except BaseException:
            self.showtraceback()


def run(args: argparse.Namespace) -> int:
    import ferrocrawl

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        session = ferrocrawl.ClientSession()
        resp = loop.run_until_complete(session.get(args.url))
        local = {
            "__builtins__": builtins,
            "__name__": "__console__",
            "ferrocrawl": ferrocrawl,
            "session": session,
            "resp": resp,
            "sel": resp.selector(),
            "asyncio": asyncio,
        }
        console = AsyncConsole(local, loop)
        console.interact(banner=BANNER.format(status=resp.status, url=resp.url), exitmsg="")
        loop.run_until_complete(session.close())
    finally:
        loop.close()
    return 0
