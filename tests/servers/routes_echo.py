"""/echo: what the request looked like, as JSON (method, path, query, headers, body, cookies)."""

from __future__ import annotations

import base64
import json
from typing import Any

from aiohttp import web

routes = web.RouteTableDef()


async def describe(request: web.Request) -> dict[str, Any]:
    body = await request.read()
    headers: dict[str, str] = {}
    for k, v in request.headers.items():
        k = k.lower()
        headers[k] = f"{headers[k]}, {v}" if k in headers else v
    out: dict[str, Any] = {
        "method": request.method,
        "url": str(request.url),
        "path": request.path,
        "query": [[k, v] for k, v in request.query.items()],
        "args": {k: request.query.getall(k) for k in request.query},
        "headers": headers,
        "header_list": [[k, v] for k, v in request.headers.items()],
        "cookies": dict(request.cookies),
        "body": body.decode("utf-8", "replace"),
        "body_b64": base64.b64encode(body).decode(),
        "body_len": len(body),
        "content_type": request.content_type if body else None,
        "form": None,
        "json": None,
    }
    if body and request.content_type == "application/x-www-form-urlencoded":
        from urllib.parse import parse_qsl

        out["form"] = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    if body and request.content_type == "application/json":
        try:
            out["json"] = json.loads(body)
        except ValueError:
            out["json"] = "<invalid json>"
    return out


@routes.route("*", "/echo")
@routes.route("*", "/echo/{tail:.*}")
async def echo(request: web.Request) -> web.Response:
    return web.json_response(await describe(request))


@routes.get("/json")
async def json_doc(request: web.Request) -> web.Response:
    return web.json_response(
        {"name": "ferrocrawl", "年份": 2026, "list": [1, 2, 3], "ok": True},
        dumps=lambda o: json.dumps(o, ensure_ascii=False),
    )


@routes.get("/headers/multi")
async def multi_headers(request: web.Request) -> web.Response:
    resp = web.Response(text="multi")
    resp.headers.add("X-Multi", "one")
    resp.headers.add("X-Multi", "two")
    resp.headers["X-Single"] = "single"
    return resp


@routes.get("/html5k")
async def html5k(request: web.Request) -> web.Response:
    return web.Response(body=HTML_5K, content_type="text/html", charset="utf-8")


def _make_html5k() -> bytes:
    words = "lorem ipsum dolor sit amet crawler async rust python tokio page link".split()
    parts = [
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Page 5k</title></head>'
        "<body><h1>Page 5k</h1>\n"
    ]
    i = 0
    while sum(map(len, parts)) < 4900:
        parts.append(f'<p><a href="/p/{i}.html">{" ".join(words[i % 5 : i % 5 + 8])}</a></p>\n')
        i += 1
    parts.append("</body></html>\n")
    return "".join(parts).encode()


HTML_5K = _make_html5k()
