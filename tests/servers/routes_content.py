"""Bodies: Content-Encoding (gzip/deflate/br/zstd), a gzip bomb, big bodies, and charsets.

/encoded/{codec}       ENCODED_TEXT compressed with codec, Content-Encoding set
/bomb                  gzip: ~200 KB on the wire, BOMB_SIZE (200 MB) of zeros decoded
/big?size=N[&chunked=1] N bytes of b"0123456789" pattern, with or without Content-Length
/charset/{case}        see CHARSET_PAGES
"""

from __future__ import annotations

import asyncio
import zlib

from aiohttp import web

from .codecs_available import ENCODERS

routes = web.RouteTableDef()

ENCODED_TEXT = ("ferrocrawl 压缩 " * 2000).encode()
BOMB_SIZE = 200 * 1024 * 1024
_bomb: bytes | None = None


def make_gzip_bomb(size: int = BOMB_SIZE) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31 = gzip container
    chunk = bytes(1024 * 1024)
    out = [co.compress(chunk) for _ in range(size // len(chunk))]
    out.append(co.flush())
    return b"".join(out)


@routes.get("/encoded/{codec}")
async def encoded(request: web.Request) -> web.Response:
    codec = request.match_info["codec"]
    if codec not in ENCODERS:
        return web.Response(status=404, text=f"no encoder for {codec}")
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    if codec != "identity":
        headers["Content-Encoding"] = codec
    return web.Response(body=ENCODERS[codec](ENCODED_TEXT), headers=headers)


@routes.get("/bomb")
async def bomb(request: web.Request) -> web.Response:
    global _bomb
    if _bomb is None:
        _bomb = await asyncio.to_thread(make_gzip_bomb)
    return web.Response(
        body=_bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/octet-stream"}
    )


def pattern(size: int) -> bytes:
    return (b"0123456789" * (size // 10 + 1))[:size]


@routes.get("/big")
async def big(request: web.Request) -> web.StreamResponse:
    size = int(request.query.get("size", str(1024 * 1024)))
    resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    if not request.query.get("chunked"):
        resp.content_length = size
    await resp.prepare(request)
    block = pattern(64 * 1024)
    left = size
    while left > 0:
        n = min(left, len(block))
        await resp.write(block[:n])
        left -= n
    await resp.write_eof()
    return resp


GBK_TEXT = "中文网页，编码测试：爬虫与异步协程。梨视频、百度、搜狗"
CP1252_TEXT = "café – “quoted” naïve € œuvre"
# case -> (Content-Type header, body bytes)
CHARSET_PAGES: dict[str, tuple[str, bytes]] = {
    "gbk-header": (
        "text/html; charset=gbk",
        f"<html><head><title>{GBK_TEXT}</title></head><body><p>{GBK_TEXT}</p></body></html>".encode(
            "gbk"
        ),
    ),
    "gbk-meta": (
        "text/html",
        f'<html><head><meta charset="gbk"><title>{GBK_TEXT}</title></head>'
        f"<body><p>{GBK_TEXT}</p></body></html>".encode("gbk"),
    ),
    "gb2312-http-equiv": (
        "text/html",
        '<html><head><meta http-equiv="Content-Type" content="text/html; '
        f'charset=gb2312"><title>{GBK_TEXT}</title></head><body><p>{GBK_TEXT}'
        "</p></body></html>".encode("gbk"),
    ),
    "gbk-sniff": (
        "text/html",
        ("<html><body>" + f"<p>{GBK_TEXT}</p>" * 20 + "</body></html>").encode("gbk"),
    ),
    "cp1252": (
        "text/html; charset=windows-1252",
        f"<html><body><p>{CP1252_TEXT}</p></body></html>".encode("cp1252"),
    ),
    "bad-utf8": ("text/plain; charset=utf-8", b"valid start \xff\xfe\xc3( invalid end"),
    "utf8-bom": ("text/plain; charset=iso-8859-1", "BOM wins: 中文".encode("utf-8-sig")),
    "utf8-plain": ("text/plain; charset=utf-8", "plain UTF-8 中文 ✓".encode()),
    "header-beats-meta": (
        "text/html; charset=gbk",
        f'<html><head><meta charset="utf-8"></head><body>{GBK_TEXT}</body></html>'.encode("gbk"),
    ),
}


@routes.get("/charset/{case}")
async def charset(request: web.Request) -> web.Response:
    ctype, body = CHARSET_PAGES[request.match_info["case"]]
    return web.Response(body=body, headers={"Content-Type": ctype})
