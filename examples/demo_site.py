"""A local stand-in for the sites in the notes, so every example runs offline.
笔记里各个网站的本地替身：示例无需外网即可运行。

Pages / 页面:
  /bobo /jay /rwl           the notes' Flask demo, each answers after DELAY s / 每个延迟 DELAY 秒
  /python /baidu /pythonav  the "异步爬虫实例" targets (/baidu is GBK with <meta charset>)
  /category_5               a pearvideo-like list: <ul id="listvideoListUl"><li>...</li></ul>
  /video_N                  detail page; <div id="JprismPlayer"> holds the video URL
  /media/video_N.mp4        small fake videos (Range supported / 支持断点续传)
  /img/dong_<hash>.gif      an image for the download_image example

Standalone / 单独运行:  python examples/demo_site.py --port 5000
From an example / 示例中:  with demo_site.running() as base: ...   (127.0.0.1, free port)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from aiohttp import web

DELAY = 0.5  # the notes' server sleeps 2 s; 0.5 s shows the same overlap faster
VIDEOS = [
    ("video_1", "猫咪的一天"),
    ("video_2", "城市夜景延时摄影"),
    ("video_3", "街头美食探店"),
    ("video_4", "山间徒步记录"),
]
IMAGE = "dong_8f1d47bcb77d74a1e029d8cbb3b33854.gif"


def fake_bytes(name: str, size: int) -> bytes:
    """Deterministic content / 确定性的伪数据 (so tests can check what was downloaded)."""
    out = bytearray()
    seed = name.encode()
    while len(out) < size:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return bytes(out[:size])


def video_bytes(vid: str) -> bytes:
    return b"\x00\x00\x00\x18ftypmp42" + fake_bytes(vid, 256 * 1024)


def page(title: str, body: str, charset: str = "utf-8") -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title>'
        f"</head><body>{body}</body></html>"
    )


def category_page() -> str:
    items = "".join(
        f'<li><div><a href="{vid}"><div class="vervideo-img"><img src="/img/{vid}.jpg"></div>'
        f'<div class="vervideo-title">{title}</div></a></div></li>'
        for vid, title in VIDEOS
    )
    return page("梨视频-生活", f'<h1>生活</h1><ul id="listvideoListUl">{items}</ul>')


def detail_page(vid: str, title: str) -> str:
    return page(
        title,
        f'<h1 class="video-tt">{title}</h1>'
        f'<div id="JprismPlayer"><video src="/media/{vid}.mp4"></video></div>',
    )


def build_app(files: Path) -> web.Application:
    routes = web.RouteTableDef()

    for name in ("bobo", "jay", "rwl"):

        async def hello(request: web.Request, name: str = name) -> web.Response:
            await asyncio.sleep(DELAY)
            return web.Response(text=f"Hello {name}")

        routes.get(f"/{name}")(hello)

    @routes.get("/python")
    async def python(request: web.Request) -> web.Response:
        return web.Response(
            text=page(
                "Welcome to Python.org",
                "<p>Python is a programming language that lets you work quickly.</p>" * 20,
            ),
            content_type="text/html",
        )

    @routes.get("/baidu")
    async def baidu(request: web.Request) -> web.Response:
        html = page("百度一下，你就知道", "<p>百度一下，你就知道。</p>" * 30, charset="gbk")
        # GBK bytes, charset only in <meta> / 编码只写在 <meta> 里
        return web.Response(body=html.encode("gbk"), headers={"Content-Type": "text/html"})

    @routes.get("/pythonav")
    async def pythonav(request: web.Request) -> web.Response:
        return web.Response(
            text=page("路飞学城", "<p>Python 全栈开发</p>" * 25), content_type="text/html"
        )

    @routes.get("/category_5")
    async def category(request: web.Request) -> web.Response:
        return web.Response(text=category_page(), content_type="text/html")

    for vid, title in VIDEOS:

        async def detail(request: web.Request, vid: str = vid, title: str = title) -> web.Response:
            return web.Response(text=detail_page(vid, title), content_type="text/html")

        routes.get(f"/{vid}")(detail)

    @routes.get("/media/{name}")
    async def media(request: web.Request) -> web.StreamResponse:
        path = files / request.match_info["name"]
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    @routes.get("/img/{name}")
    async def image(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        return web.Response(body=b"GIF89a" + fake_bytes(name, 2048), content_type="image/gif")

    app = web.Application()
    app.add_routes(routes)
    return app


def write_media(folder: Path) -> None:
    for vid, _ in VIDEOS:
        (folder / f"{vid}.mp4").write_bytes(video_bytes(vid))


@contextlib.contextmanager
def running(port: int = 0) -> Iterator[str]:
    """Serve the demo site on 127.0.0.1 in a background thread; yields the base URL."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    loop = asyncio.new_event_loop()
    started = threading.Event()
    with tempfile.TemporaryDirectory(prefix="demo-site-") as tmp:
        write_media(Path(tmp))
        runner = web.AppRunner(build_app(Path(tmp)), access_log=None)

        async def start() -> None:
            await runner.setup()
            await web.SockSite(runner, sock).start()
            started.set()

        def main() -> None:
            loop.run_until_complete(start())
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        thread = threading.Thread(target=main, name="demo-site", daemon=True)
        thread.start()
        if not started.wait(10):
            raise RuntimeError("demo site did not start")
        try:
            yield base
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            sock.close()


@contextlib.contextmanager
def site(base: str | None) -> Iterator[str]:
    """`base` if given (a site already running), else a demo site started for the block.
    给了 --base 就用它，否则临时启动本地演示站点。"""
    if base:
        yield base.rstrip("/")
    else:
        with running() as started:
            yield started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--port", type=int, default=5000)
    a = ap.parse_args()
    with running(a.port) as base:
        print(f"demo site on {base}  (Ctrl-C to stop / 按 Ctrl-C 停止)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
