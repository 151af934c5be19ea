"""session.download: streams to disk, .part + atomic rename, resume with Range, safe names."""

# ruff: noqa: ASYNC240  (small local files checked after the download; blocking is fine here)

from __future__ import annotations

import json
import os
from pathlib import Path

import ferrocrawl
import pytest

from tests.servers.routes_files import DATA, versioned_data


def no_part_files(folder: Path) -> bool:
    return not any(p.name.endswith(".part") for p in folder.rglob("*"))


async def test_download_to_file_path(server, tmp_path, key):
    dest = tmp_path / "out.bin"
    async with ferrocrawl.ClientSession() as s:
        got = await s.download(server.url(f"/files/data.bin?key={key}"), str(dest))
    assert isinstance(got, str) and Path(got) == dest
    assert dest.read_bytes() == DATA
    assert no_part_files(tmp_path)


async def test_download_accepts_pathlike(server, tmp_path):
    async with ferrocrawl.ClientSession() as s:
        got = await s.download(server.url("/files/data.bin"), tmp_path / "p.bin")
    assert Path(got).read_bytes() == DATA


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/dl/plain", "report.bin"),
        ("/dl/chinese", "视频标题.mp4"),
        ("/named/%E8%A7%86%E9%A2%91.mp4", "视频.mp4"),
        ("/named/video_1.mp4?x=1", "video_1.mp4"),
    ],
)
async def test_download_into_folder_names_file(server, tmp_path, path, name):
    async with ferrocrawl.ClientSession() as s:
        got = await s.download(server.url(path), str(tmp_path))
    assert Path(got) == tmp_path / name
    assert Path(got).read_bytes() == DATA


@pytest.mark.parametrize("case", ["evil", "evil-backslash", "absolute", "dotdot", "chinese-evil"])
async def test_server_names_cannot_escape_folder(server, tmp_path, case):
    folder = tmp_path / "a" / "b" / "dl"
    folder.mkdir(parents=True)
    before = set(tmp_path.rglob("*"))
    async with ferrocrawl.ClientSession() as s:
        try:
            got = await s.download(server.url(f"/dl/{case}"), str(folder))
        except ferrocrawl.UnsafePathError as e:  # refusing is fine too
            assert isinstance(e, ValueError)
            got = None
    if got is not None:
        p = Path(got).resolve()
        assert p.parent == folder.resolve(), got
        assert p.name not in ("", ".", "..") and p.read_bytes() == DATA
    created = set(tmp_path.rglob("*")) - before
    assert all(folder in c.parents for c in created), created
    assert not Path("/tmp/ferrocrawl-evil-abs.bin").exists()


async def test_names_from_url_cannot_escape(server, tmp_path):
    folder = tmp_path / "x" / "dl"
    folder.mkdir(parents=True)
    async with ferrocrawl.ClientSession() as s:
        try:
            got = await s.download(server.url("/named/..%2F..%2Fevil.bin"), str(folder))
        except ferrocrawl.UnsafePathError:
            got = None
    if got is not None:
        assert Path(got).resolve().parent == folder.resolve()
    assert not (tmp_path / "evil.bin").exists() and not (tmp_path / "x" / "evil.bin").exists()


async def test_failed_download_leaves_no_final_file_then_resumes(server, tmp_path, key):
    dest = tmp_path / "video.mp4"
    url = server.url(f"/flaky/{key}?cut=524288")
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.ClientConnectionError):
            await s.download(url, str(dest), resume=True)
        assert not dest.exists()  # atomic: never a half file under the final name
        parts = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
        assert len(parts) == 1, list(tmp_path.iterdir())
        have = parts[0].stat().st_size
        assert 0 < have <= 524288
        got = await s.download(url, str(dest), resume=True)
    assert Path(got) == dest and dest.read_bytes() == DATA
    assert server.state.ranges[key] == [None, f"bytes={have}-"]
    assert no_part_files(tmp_path)


async def test_resume_of_a_changed_file_is_not_spliced(server, tmp_path, key):
    """The `.part` holds the start of version 1; the server now has version 2. If-Range (with
    the ETag saved beside the `.part`) makes the server send all of version 2."""
    dest = tmp_path / "f.bin"
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.ClientConnectionError):
            await s.download(server.url(f"/versioned/{key}?v=1&cut=100000"), dest, resume=True)
        have = (tmp_path / "f.bin.part").stat().st_size
        assert 0 < have <= 100000
        await s.download(server.url(f"/versioned/{key}?v=2"), dest, resume=True)
    assert dest.read_bytes() == versioned_data("2")
    assert server.state.ranges[key] == [None, f"bytes={have}-"]
    assert server.state.if_ranges[key] == [None, '"v1"']
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]


async def test_retries_resume_a_broken_download_in_one_call(server, tmp_path, key):
    dest = tmp_path / "f.bin"
    async with ferrocrawl.ClientSession(retries=2, retry_backoff=0.01) as s:
        await s.download(server.url(f"/versioned/{key}?v=1&cut=100000"), dest, resume=False)
    assert dest.read_bytes() == versioned_data("1")
    assert server.state.ranges[key][0] is None
    assert server.state.ranges[key][1].startswith("bytes=")
    assert server.state.if_ranges[key] == [None, '"v1"']
    assert no_part_files(tmp_path)


async def test_download_asks_for_the_bytes_as_they_are(server, tmp_path):
    dest = tmp_path / "echo.json"
    async with ferrocrawl.ClientSession() as s:
        await s.download(server.url("/echo"), dest, headers={"Accept-Encoding": "gzip"})
    assert json.loads(dest.read_bytes())["headers"]["accept-encoding"] == "identity"


async def test_session_total_does_not_cut_a_download(server, tmp_path, key):
    """`total` is a page deadline; a download is bounded between bytes (sock_read) instead."""
    dest = tmp_path / "f.bin"
    timeout = ferrocrawl.ClientTimeout(total=0.1)
    async with ferrocrawl.ClientSession(timeout=timeout) as s:
        with pytest.raises(ferrocrawl.RequestTimeout):
            await s.get(server.url(f"/slow-body?key={key}&delay=0.4"))
        await s.download(server.url(f"/slow-body?key={key}x&delay=0.4"), dest)
    assert dest.read_bytes() == b"slow body"


async def test_resume_false_starts_over(server, tmp_path, key):
    dest = tmp_path / "f.bin"
    (tmp_path / "f.bin.part").write_bytes(b"garbage" * 100)
    async with ferrocrawl.ClientSession() as s:
        await s.download(server.url(f"/files/data.bin?key={key}"), str(dest), resume=False)
    assert dest.read_bytes() == DATA
    assert server.state.ranges[key] == [None]


async def test_download_overwrites_existing_atomically(server, tmp_path):
    dest = tmp_path / "f.bin"
    dest.write_bytes(b"old")
    async with ferrocrawl.ClientSession() as s:
        await s.download(server.url("/files/data.bin"), str(dest))
    assert dest.read_bytes() == DATA


async def test_download_http_error_writes_nothing(server, tmp_path):
    dest = tmp_path / "missing.bin"
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.HTTPStatusError) as ei:
            await s.download(server.url("/status/404"), str(dest))
    assert ei.value.status == 404
    assert not dest.exists() and no_part_files(tmp_path)


async def test_concurrent_downloads(server, tmp_path):
    async with ferrocrawl.ClientSession() as s:
        import asyncio

        paths = await asyncio.gather(
            *(
                s.download(server.url("/files/data.bin"), str(tmp_path / f"{i}.bin"))
                for i in range(8)
            )
        )
    assert sorted(os.path.basename(p) for p in paths) == sorted(f"{i}.bin" for i in range(8))
    assert all(Path(p).read_bytes() == DATA for p in paths)


@pytest.mark.parametrize(
    "name", ["../../evil", "a/b/c.txt", "..\\..\\win.txt", "/etc/passwd", "..", ".", "", "nul\x00x"]
)
def test_safe_filename_never_traverses(name):
    out = ferrocrawl.safe_filename(name)
    assert isinstance(out, str) and out not in ("", ".", "..")
    assert "/" not in out and "\\" not in out and "\x00" not in out
    assert not out.startswith("..")


@pytest.mark.parametrize("name", ["视频标题.mp4", "report.pdf", "my file (1).txt"])
def test_safe_filename_keeps_ordinary_names(name):
    assert ferrocrawl.safe_filename(name) == name
