"""Cookies (set, read back, set-then-redirect) and protected endpoints (basic, bearer)."""

from __future__ import annotations

import base64

from aiohttp import web

routes = web.RouteTableDef()


@routes.get("/cookies")
async def cookies(request: web.Request) -> web.Response:
    return web.json_response({"cookies": dict(request.cookies)})


@routes.get("/cookies/set")
async def cookies_set(request: web.Request) -> web.Response:
    """Every query pair becomes its own Set-Cookie header (path=/)."""
    resp = web.json_response({"set": dict(request.query)})
    for k, v in request.query.items():
        resp.set_cookie(k, v, path="/")
    return resp


@routes.get("/cookies/set-raw")
async def cookies_set_raw(request: web.Request) -> web.Response:
    """Each `c` query value is sent verbatim as one Set-Cookie header."""
    resp = web.json_response({"host": request.host})
    for raw in request.query.getall("c", []):
        resp.headers.add("Set-Cookie", raw)
    return resp


@routes.get("/cookies/set-redirect")
async def cookies_set_redirect(request: web.Request) -> web.Response:
    resp = web.Response(status=302, headers={"Location": "/cookies"})
    for k, v in request.query.items():
        resp.set_cookie(k, v, path="/")
    return resp


@routes.get("/basic-auth/{user}/{passwd}")
async def basic_auth(request: web.Request) -> web.Response:
    want = (
        "Basic "
        + base64.b64encode(
            f"{request.match_info['user']}:{request.match_info['passwd']}".encode()
        ).decode()
    )
    if request.headers.get("Authorization") != want:
        return web.Response(
            status=401, headers={"WWW-Authenticate": 'Basic realm="test"'}, text="unauthorized"
        )
    return web.json_response({"authenticated": True, "user": request.match_info["user"]})


@routes.get("/bearer")
async def bearer(request: web.Request) -> web.Response:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or len(auth) <= 7:
        return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"}, text="no token")
    return web.json_response({"authenticated": True, "token": auth[7:]})
