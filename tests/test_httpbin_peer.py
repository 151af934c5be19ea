"""httpbin (a real WSGI app under gunicorn) as a peer: the endpoints users know."""

from __future__ import annotations

import base64

import ferrocrawl


async def test_get_args_and_headers(httpbin):
    async with ferrocrawl.ClientSession(headers={"X-Hello": "world"}) as s:
        d = await (await s.get(httpbin.url("/get"), params={"q": "中文"})).json()
    assert d["args"] == {"q": "中文"} and d["headers"]["X-Hello"] == "world"


async def test_post_json_and_form(httpbin):
    async with ferrocrawl.ClientSession() as s:
        d = await (await s.post(httpbin.url("/post"), json={"a": [1, 2]})).json()
        assert d["json"] == {"a": [1, 2]}
        d = await (await s.post(httpbin.url("/post"), data={"f": "v"})).json()
        assert d["form"] == {"f": "v"}


async def test_cookies_set_redirects_and_sticks(httpbin):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(httpbin.url("/cookies/set?k1=v1&k2=v2"))
        assert r.status == 200 and len(r.history) == 1
        assert (await r.json())["cookies"] == {"k1": "v1", "k2": "v2"}


async def test_redirect_3(httpbin):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(httpbin.url("/redirect/3"))
    assert len(r.history) == 3 and r.url == httpbin.url("/get")


async def test_compressed_endpoints(httpbin):
    async with ferrocrawl.ClientSession() as s:
        assert (await (await s.get(httpbin.url("/gzip"))).json())["gzipped"] is True
        assert (await (await s.get(httpbin.url("/deflate"))).json())["deflated"] is True
        assert (await (await s.get(httpbin.url("/brotli"))).json())["brotli"] is True


async def test_status_418(httpbin):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(httpbin.url("/status/418"))
        assert r.status == 418 and "teapot" in (await r.text()).lower()


async def test_basic_auth(httpbin):
    url = httpbin.url("/basic-auth/user/passwd")
    auth = "Basic " + base64.b64encode(b"user:passwd").decode()
    async with ferrocrawl.ClientSession() as s:
        assert (await s.get(url)).status == 401
        r = await s.get(url, headers={"Authorization": auth})
        assert (await r.json()) == {"authenticated": True, "user": "user"}


async def test_stream_20(httpbin):
    async with ferrocrawl.ClientSession() as s:
        lines = (await (await s.get(httpbin.url("/stream/20"))).text()).splitlines()
    assert len(lines) == 20


async def test_bytes_1024(httpbin):
    async with ferrocrawl.ClientSession() as s:
        assert len(await (await s.get(httpbin.url("/bytes/1024"))).read()) == 1024


async def test_encoding_utf8(httpbin):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(httpbin.url("/encoding/utf8"))
        text = await r.text()
    assert "∮ E⋅da = Q" in text and r.charset.lower().replace("_", "-") == "utf-8"


async def test_get_many_against_httpbin(httpbin):
    urls = [httpbin.url(f"/anything/{i}") for i in range(20)]
    async with ferrocrawl.ClientSession() as s:
        rs = await s.get_many(urls, concurrency=8)
    assert [(await r.json())["url"] for r in rs] == urls
