"""Redirects: relative/absolute chains, every 3xx code, loops, cross-origin, non-http targets."""

from __future__ import annotations

from aiohttp import web

from .routes_echo import describe

routes = web.RouteTableDef()


def _redirect(location: str, status: int = 302) -> web.Response:
    return web.Response(status=status, headers={"Location": location})


@routes.route("*", "/redirect/{n:\\d+}")
async def relative_chain(request: web.Request) -> web.Response:
    """/redirect/3 -> /redirect/2 -> /redirect/1 -> /redirect/0 (an echo). ?status=307 etc."""
    n = int(request.match_info["n"])
    status = int(request.query.get("status", "302"))
    if n == 0:
        return web.json_response(await describe(request))
    qs = f"?{request.query_string}" if request.query_string else ""
    return _redirect(f"/redirect/{n - 1}{qs}", status)


@routes.get("/abs-redirect/{n:\\d+}")
async def absolute_chain(request: web.Request) -> web.Response:
    n = int(request.match_info["n"])
    if n == 0:
        return web.json_response(await describe(request))
    return _redirect(f"http://{request.host}/abs-redirect/{n - 1}")


@routes.route("*", "/redirect-to")
async def redirect_to(request: web.Request) -> web.Response:
    """Location = ?url= (anything: another origin, ftp://, file://), status = ?status= (302)."""
    return _redirect(request.query["url"], int(request.query.get("status", "302")))


@routes.get("/dir/sub/rel")
async def relative_dotdot(request: web.Request) -> web.Response:
    """Location with ../ segments: must resolve against /dir/sub/rel to /echo?via=rel."""
    return _redirect("../../echo?via=rel")


@routes.get("/redirect-loop")
async def loop_self(request: web.Request) -> web.Response:
    return _redirect("/redirect-loop")


@routes.get("/redirect-loop-a")
async def loop_a(request: web.Request) -> web.Response:
    return _redirect("/redirect-loop-b")


@routes.get("/redirect-loop-b")
async def loop_b(request: web.Request) -> web.Response:
    return _redirect("/redirect-loop-a")
