"""Slow endpoints that notice the client hanging up, and a concurrency tracker.

/slow?key=K&delay=S        sleeps S seconds before answering; records started / closed / finished
/slow-body?key=K&delay=S   sends headers at once, then the body after S seconds
/track?key=K&delay=S       counts hits and the maximum number in flight at once for K
/_closed/K                 JSON {"started", "closed", "finished"} for K (for other processes)
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from .state import STATE

routes = web.RouteTableDef()
STEP = 0.02


def _gone(request: web.Request) -> bool:
    t = request.transport
    return t is None or t.is_closing()


async def _sleep_watching(request: web.Request, key: str, delay: float) -> bool:
    """Sleep up to `delay`; True if the client went away meanwhile (recorded)."""
    rec = request.app[STATE].slow[key]
    deadline = time.monotonic() + delay
    try:
        while time.monotonic() < deadline:
            if _gone(request):
                rec.closed = time.monotonic()
                return True
            await asyncio.sleep(STEP)
    except asyncio.CancelledError:  # handler_cancellation: aiohttp cancels on disconnect
        rec.closed = time.monotonic()
        raise
    return False


@routes.get("/slow")
async def slow(request: web.Request) -> web.Response:
    state = request.app[STATE]
    key = request.query.get("key", "-")
    state.hit(key)
    rec = state.slow[key]
    rec.started = time.monotonic()
    if await _sleep_watching(request, key, float(request.query.get("delay", "5"))):
        return web.Response(status=499)
    rec.finished = time.monotonic()
    return web.Response(text="slow done")


@routes.get("/slow-body")
async def slow_body(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    key = request.query.get("key", "-")
    state.hit(key)
    rec = state.slow[key]
    rec.started = time.monotonic()
    resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
    resp.content_length = 9
    await resp.prepare(request)
    if await _sleep_watching(request, key, float(request.query.get("delay", "5"))):
        return resp
    await resp.write(b"slow body")
    rec.finished = time.monotonic()
    await resp.write_eof()
    return resp


@routes.get("/track")
async def track(request: web.Request) -> web.Response:
    state = request.app[STATE]
    key = request.query["key"]
    n = state.hit(key)
    state.inflight[key] += 1
    state.max_inflight[key] = max(state.max_inflight[key], state.inflight[key])
    try:
        await asyncio.sleep(float(request.query.get("delay", "0.2")))
    finally:
        state.inflight[key] -= 1
    return web.json_response({"hit": n, "i": request.query.get("i")})


@routes.get("/_closed/{key}")
async def closed(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].slow[request.match_info["key"]].as_dict())
