"""A notebook with top-level `await` cells, executed headless by nbclient in a real kernel."""

from __future__ import annotations

from tests.servers.notebook import run_notebook


def test_notebook_top_level_await(server):
    cells = [
        "import asyncio, ferrocrawl",
        "async with ferrocrawl.ClientSession() as session:\n"
        f"    async with session.get({server.url('/json')!r}) as resp:\n"
        "        print('status', resp.status, (await resp.json())['name'])",
        f"r = await ferrocrawl.get({server.url('/charset/gbk-meta')!r})\n"
        "print('gbk', '中文' in await r.text())",
        "async with ferrocrawl.ClientSession() as session:\n"
        f"    rs = await session.get_many([{server.url('/echo?i=1')!r},"
        f" {server.url('/echo?i=2')!r}])\n"
        "print('many', [r.status for r in rs])",
        "async with ferrocrawl.ClientSession() as session:\n"
        "    try:\n"
        f"        await asyncio.wait_for(session.get({server.url('/slow?delay=20')!r}), 0.3)\n"
        "    except asyncio.TimeoutError:\n"
        "        print('cancelled ok')\n"
        f"    print('after', (await session.get({server.url('/echo')!r})).status)",
    ]
    out = run_notebook(cells)
    assert out[0] == "", out
    assert out[1].strip() == "status 200 ferrocrawl", out
    assert out[2].strip() == "gbk True", out
    assert out[3].strip() == "many [200, 200]", out
    assert out[4].split() == ["cancelled", "ok", "after", "200"], out
