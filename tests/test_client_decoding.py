"""Text decoding like a browser: BOM, then Content-Type charset, then <meta>, then sniffing."""

from __future__ import annotations

import codecs

import ferrocrawl
import pytest

from tests.servers.routes_content import CHARSET_PAGES, CP1252_TEXT, GBK_TEXT

GBK_FAMILY = {codecs.lookup(n).name for n in ("gbk", "gb18030", "gb2312")}


def canon(name: str) -> str:
    return codecs.lookup(name).name


@pytest.mark.parametrize(
    "case", ["gbk-header", "gbk-meta", "gb2312-http-equiv", "gbk-sniff", "header-beats-meta"]
)
async def test_gbk_pages(server, case):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url(f"/charset/{case}"))
        text = await r.text()
        assert GBK_TEXT in text
        assert canon(r.charset) in GBK_FAMILY, r.charset
        assert await r.read() == CHARSET_PAGES[case][1]


async def test_header_charset_reported_as_gbk(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/charset/gbk-header"))
        await r.text()
        assert canon(r.charset) == "gbk"


async def test_windows_1252(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/charset/cp1252"))
        assert CP1252_TEXT in await r.text()
        assert canon(r.charset) == "cp1252"


async def test_bom_beats_header(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/charset/utf8-bom"))
        assert await r.text() == "BOM wins: 中文"  # decoded as UTF-8, BOM removed
        assert canon(r.charset) == "utf-8"


async def test_invalid_utf8_replace_and_strict(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/charset/bad-utf8"))
        text = await r.text()
        assert text.startswith("valid start ") and text.endswith(" invalid end")
        assert "\ufffd" in text
        with pytest.raises(ValueError):  # UnicodeDecodeError is a ValueError
            await r.text(errors="strict")
        assert await r.read() == CHARSET_PAGES["bad-utf8"][1]


async def test_explicit_encoding_overrides(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/charset/gbk-meta"))
        assert GBK_TEXT in await r.text(encoding="gbk")
        raw = await r.read()
        assert await r.text(encoding="gb18030") == raw.decode("gb18030")
        with pytest.raises(ValueError):
            await r.text(encoding="utf-8", errors="strict")


async def test_python_codec_names_accepted(server):
    """aiohttp users pass Python codec names: "latin-1", "utf_8", "GB2312"."""
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/charset/gbk-meta"))
        raw = await r.read()
        assert len(await r.text(encoding="latin-1")) == len(raw)  # one char per byte
        assert GBK_TEXT in await r.text(encoding="GB2312")
        r = await s.get(server.url("/charset/utf8-plain"))
        assert await r.text(encoding="utf_8") == "plain UTF-8 中文 ✓"


@pytest.mark.parametrize(
    "encoding", ["latin1", "latin-1", "iso-8859-1", "ascii", "us-ascii", "cp1252"]
)
@pytest.mark.parametrize("errors", ["replace", "strict", "backslashreplace"])
async def test_explicit_encoding_is_a_python_codec(server, encoding, errors):
    """As in aiohttp, `encoding=` is decoded by Python's codec: "latin1" and "ascii" are not
    WHATWG labels for windows-1252 (bytes 0x80-0x9f stay C1 controls, or fail as ascii)."""
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/charset/cp1252"))
        raw = await r.read()
        try:
            want: str | type[Exception] = raw.decode(encoding, errors)
        except UnicodeDecodeError:
            want = UnicodeDecodeError
        if want is UnicodeDecodeError:
            with pytest.raises(UnicodeDecodeError):
                await r.text(encoding=encoding, errors=errors)
        else:
            assert await r.text(encoding=encoding, errors=errors) == want


async def test_utf8_plain_and_json(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/charset/utf8-plain"))
        assert await r.text() == "plain UTF-8 中文 ✓" and canon(r.charset) == "utf-8"
        assert (await (await s.get(server.url("/json"))).json())["年份"] == 2026


async def test_get_many_responses_decode(server):
    urls = [server.url("/charset/gbk-meta"), server.url("/charset/cp1252")]
    async with ferrocrawl.ClientSession() as s:
        gbk, cp = await s.get_many(urls)
        assert GBK_TEXT in await gbk.text()
        assert CP1252_TEXT in await cp.text()
