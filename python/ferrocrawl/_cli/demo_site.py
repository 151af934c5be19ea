"""A generated site on 127.0.0.1 for `ferrocrawl bench`: HTTP/1.1 with keep-alive on plain
asyncio, no dependency. `/` and `/p/0` .. `/p/{N-1}`, about 5 KB each with 10 links
(every page reachable from `/`); anything else is a 404, robots.txt included.

    python -m ferrocrawl._cli.demo_site --pages 5000     # prints its port, serves until killed
"""

from __future__ import annotations

import argparse
import asyncio

FILLER = "<p>" + "ferrocrawl demo text, generated to look like a page of a site. " * 12 + "</p>"


def page(i: int, pages: int) -> bytes:
    links = {(i + 1) % pages} | {(i * 7 + k * 131 + 3) % pages for k in range(9)}
    items = "".join(f'<li><a href="/p/{j}">page {j}</a></li>' for j in sorted(links))
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>Page {i}</title></head><body>"
        f"<h1>Page {i}</h1><p class=price>{i % 97}.{i % 100:02d}</p><ul>{items}</ul>"
        f"{FILLER * 6}</body></html>"
    ).encode()


def response(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Site(asyncio.Protocol):
    def __init__(self, pages: int) -> None:
        self.pages = pages
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
            assert self.transport is not None
            self.transport.write(self.answer(target))

    def answer(self, target: str) -> bytes:
        if target == "/":
            return response("200 OK", page(0, self.pages))
        if target.startswith("/p/") and target[3:].isdigit() and int(target[3:]) < self.pages:
            return response("200 OK", page(int(target[3:]), self.pages))
        return response("404 Not Found", b"<h1>not found</h1>")


async def serve(pages: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Site(pages), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=5000)
    asyncio.run(serve(ap.parse_args().pages))


if __name__ == "__main__":
    main()
