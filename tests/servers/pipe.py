"""Relaying bytes between two stream pairs (the proxies' tunnels), bounded in time."""

from __future__ import annotations

import asyncio

TUNNEL_MAX = 60.0


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        if not writer.transport.is_closing():
            try:
                writer.write_eof()
            except (OSError, RuntimeError):
                writer.close()


async def relay(
    a: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    b: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    tasks = [asyncio.ensure_future(_copy(a[0], b[1])), asyncio.ensure_future(_copy(b[0], a[1]))]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), TUNNEL_MAX)
    except asyncio.TimeoutError:
        pass
    finally:
        for t in tasks:
            t.cancel()
        for w in (a[1], b[1]):
            w.close()
