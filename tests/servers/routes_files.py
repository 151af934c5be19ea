"""Files for downloads: Range (206) via FileResponse, hostile Content-Disposition names, and a
connection that dies mid-body once per key (for resume).

/files/data.bin?key=K           DATA (2 MiB, deterministic), Range headers recorded under K
/named/{name}?key=K             DATA with no Content-Disposition: the name comes from the URL
/dl/{case}?key=K                DATA with Content-Disposition from DISPOSITIONS[case]
/flaky/{key}?cut=N              first hit: full Content-Length, N bytes, then the connection
                                drops; later hits: DATA with Range support
/versioned/{key}?v=V&cut=N      version V of a file (ETag "vV"): Range honoured unless an
                                If-Range names another version (then 200, the whole file, as
                                RFC 9110 says); the first hit is cut after N bytes if `cut`
"""

from __future__ import annotations

import random
from email.utils import formatdate
from pathlib import Path

from aiohttp import web

from .state import FILES_DIR, STATE

routes = web.RouteTableDef()

DATA = random.Random(20260101).randbytes(2 * 1024 * 1024)
DISPOSITIONS = {
    "plain": 'attachment; filename="report.bin"',
    "evil": 'attachment; filename="../../evil.bin"',
    "evil-backslash": 'attachment; filename="..\\\\..\\\\evil2.bin"',
    "absolute": 'attachment; filename="/tmp/ferrocrawl-evil-abs.bin"',
    "dotdot": 'attachment; filename=".."',
    "chinese": "attachment; filename*=UTF-8''%E8%A7%86%E9%A2%91%E6%A0%87%E9%A2%98.mp4",
    "chinese-evil": "attachment; filename*=UTF-8''..%2F..%2F%E8%A7%86%E9%A2%91.mp4",
}


def write_files(folder: Path) -> None:
    (folder / "data.bin").write_bytes(DATA)


def _record(request: web.Request) -> None:
    key = request.query.get("key") or request.match_info.get("key")
    if key:
        state = request.app[STATE]
        state.hit(key)
        state.ranges[key].append(request.headers.get("Range"))
        state.if_ranges[key].append(request.headers.get("If-Range"))


def versioned_data(version: str) -> bytes:
    return random.Random(f"v{version}").randbytes(256 * 1024)


def _data_file(request: web.Request) -> Path:
    return request.app[FILES_DIR] / "data.bin"


@routes.get("/files/data.bin")
async def files(request: web.Request) -> web.StreamResponse:
    _record(request)
    return web.FileResponse(_data_file(request))


@routes.get("/named/{name:.+}")
async def named(request: web.Request) -> web.StreamResponse:
    _record(request)
    return web.FileResponse(_data_file(request))


@routes.get("/dl/{case}")
async def disposition(request: web.Request) -> web.StreamResponse:
    _record(request)
    resp = web.FileResponse(_data_file(request))
    resp.headers["Content-Disposition"] = DISPOSITIONS[request.match_info["case"]]
    return resp


@routes.get("/flaky/{key}")
async def flaky(request: web.Request) -> web.StreamResponse:
    _record(request)
    state = request.app[STATE]
    if state.hits[request.match_info["key"]] > 1:
        return web.FileResponse(_data_file(request))
    cut = int(request.query.get("cut", str(512 * 1024)))
    st = _data_file(request).stat()
    resp = web.StreamResponse(
        headers={
            "Content-Type": "application/octet-stream",
            "Accept-Ranges": "bytes",
            # FileResponse's validators, so the resume of a later hit can send If-Range
            "ETag": f'"{st.st_mtime_ns:x}-{st.st_size:x}"',
            "Last-Modified": formatdate(st.st_mtime, usegmt=True),
        }
    )
    resp.content_length = len(DATA)
    await resp.prepare(request)
    await resp.write(DATA[:cut])
    assert request.transport is not None
    request.transport.close()  # flushes what was written, then FIN: the body is cut short
    return resp


@routes.get("/versioned/{key}")
async def versioned(request: web.Request) -> web.StreamResponse:
    _record(request)
    first = request.app[STATE].hits[request.match_info["key"]] == 1
    version = request.query.get("v", "1")
    data, etag = versioned_data(version), f'"v{version}"'
    headers = {"ETag": etag, "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
    start = 0
    if_range = request.headers.get("If-Range")
    if (rng := request.http_range).start and (if_range is None or if_range == etag):
        start = rng.start
        headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
    resp = web.StreamResponse(status=206 if start else 200, headers=headers)
    resp.content_length = len(data) - start
    await resp.prepare(request)
    cut = int(request.query.get("cut", "0"))
    if first and cut:
        await resp.write(data[start : start + cut])
        assert request.transport is not None
        request.transport.close()
        return resp
    await resp.write(data[start:])
    await resp.write_eof()
    return resp
