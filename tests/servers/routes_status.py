"""Status codes, and Retry-After endpoints that fail N times per key before succeeding."""

from __future__ import annotations

import email.utils
import time

from aiohttp import web

from .state import STATE

routes = web.RouteTableDef()


@routes.route("*", "/status/{code:\\d{3}}")
async def status(request: web.Request) -> web.Response:
    code = int(request.match_info["code"])
    reason = request.query.get("reason")
    if code in (204, 304) or request.method == "HEAD":
        return web.Response(status=code, reason=reason)
    return web.Response(status=code, reason=reason, text=f"status {code}")


@routes.route("*", "/retry-after")
async def retry_after(request: web.Request) -> web.Response:
    """?key=K&fail=N&status=503&after=1[&date=1]: the first N hits for K answer `status` with
    Retry-After (seconds, or an HTTP-date when date=1; none with after=none), then 200 with
    the hit count as JSON."""
    state = request.app[STATE]
    key = request.query["key"]
    n = state.hit(key)
    fail = int(request.query.get("fail", "1"))
    if n <= fail:
        code = int(request.query.get("status", "503"))
        if request.query.get("after") == "none":
            return web.Response(status=code, text=f"try again ({n})")
        after = float(request.query.get("after", "1"))
        if request.query.get("date"):
            value = email.utils.formatdate(time.time() + after, usegmt=True)
        else:
            value = str(int(after)) if after == int(after) else str(after)
        return web.Response(status=code, headers={"Retry-After": value}, text=f"try again ({n})")
    return web.json_response({"hits": n})


@routes.get("/hits/{key}")
async def hits(request: web.Request) -> web.Response:
    state = request.app[STATE]
    key = request.match_info["key"]
    return web.json_response({"hits": state.hits[key], "max_inflight": state.max_inflight[key]})
