"""Every example runs standalone (it starts its own demo site) and prints what it should."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
_spec = importlib.util.spec_from_file_location("demo_site", EXAMPLES / "demo_site.py")
assert _spec and _spec.loader
demo_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo_site)


def run(name: str, *args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_fetch_urls():
    out = run("fetch_urls.py")
    for name in ("bobo", "jay", "rwl"):
        assert re.search(rf"下载完毕： http://127\.0\.0\.1:\d+/{name} Hello {name}$", out, re.M)
        assert re.search(rf"get_many： http://127\.0\.0\.1:\d+/{name} 200 Hello {name}$", out, re.M)
    got = [line.split()[-1] for line in out.splitlines() if line.startswith("get_many：")]
    assert got == ["bobo", "jay", "rwl"]  # input order
    # three 0.5 s pages at once, not one after another (that would be >= 1.5 s)
    assert float(re.search(r"^总耗时 ([\d.]+)$", out, re.M).group(1)) < 1.45


def test_async_crawler():
    out = run("async_crawler.py")
    assert out.count("发送请求:") == 3 and out.count("得到结果：") == 3
    assert re.search(r"得到结果： \S+/baidu \d+ gbk$", out, re.M)
    titles = re.findall(r"^标题： (.*)$", out, re.M)
    assert titles == ["Welcome to Python.org", "百度一下，你就知道", "路飞学城"]


def test_pearvideo(tmp_path):
    out = run("pearvideo.py", "--out", str(tmp_path / "videos"))
    names = [title + ".mp4" for _, title in demo_site.VIDEOS]
    for (vid, _), name in zip(demo_site.VIDEOS, names, strict=True):
        assert f"{name} 下载成功" in out
        assert (tmp_path / "videos" / name).read_bytes() == demo_site.video_bytes(vid)
    assert sorted(p.name for p in (tmp_path / "videos").iterdir()) == sorted(names)


def test_download_image(tmp_path):
    out = run("download_image.py", "--out", str(tmp_path / "img"))
    assert out.count("下载完成") == 2
    files = sorted(p.name for p in (tmp_path / "img").iterdir())
    assert files == ["0a1b2c3d.gif", "8f1d47bcb77d74a1e029d8cbb3b33854.gif"]
    data = (tmp_path / "img" / "8f1d47bcb77d74a1e029d8cbb3b33854.gif").read_bytes()
    assert data == b"GIF89a" + demo_site.fake_bytes(demo_site.IMAGE, 2048)


def test_uvloop_fetch():
    out = run("uvloop_fetch.py", "--n", "100")
    assert "loop: uvloop" in out
    assert re.search(r"^gather: 100 pages \d+ bytes", out, re.M)
    assert re.search(r"^get_many: 100 pages", out, re.M)


@pytest.mark.parametrize("name", ["fetch_urls.py", "async_crawler.py"])
def test_examples_accept_a_running_site(name):
    with demo_site.running() as base:
        out = run(name, "--base", base)
    assert base in out


def test_crawl_pearvideo(tmp_path):
    out = run("crawl_pearvideo.py", "--out", str(tmp_path / "videos"))
    assert re.search(r"^列表页 / list: \S+/category_5 \d+ links$", out, re.M)
    for vid, title in demo_site.VIDEOS:
        assert re.search(rf"^\S+/{vid} {title} /media/{vid}\.mp4$", out, re.M)
        assert (tmp_path / "videos" / f"{title}.mp4").read_bytes() == demo_site.video_bytes(vid)
    # the list page and its four detail pages, each once; nothing else followed
    assert re.search(r"^pages: 5, status: \{200: 5\}, errors: \{\}$", out, re.M)
