"""Download names a server picks that tests/test_client_download.py does not: 1 000 characters,
a NUL, and a name that is already a symlink to a file outside the folder. Every file lands
inside the folder; nothing outside it is written."""

from __future__ import annotations

import os
from pathlib import Path

import ferrocrawl
import pytest

from .scripted import answer, response

DISPOSITIONS = {
    "1000-chars": 'attachment; filename="' + "a" * 1000 + '.bin"',
    "nul": "attachment; filename*=UTF-8''evil%00name.bin",
    "nul-dotdot": "attachment; filename*=UTF-8''..%2F..%00%2Fx.bin",
}


def serving(scripted, disposition: str):
    headers = [("Content-Disposition", disposition), ("Connection", "close")]
    return scripted(lambda conn: answer(conn, response(headers=headers, body=b"DATA")))


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if not p.is_dir()}


def assert_landed_inside(got: Path, folder: Path, root: Path) -> None:
    """`got` is the one file written under `root`, directly in `folder`, with a sane name."""
    assert got.parent == folder and got.read_bytes() == b"DATA"
    assert "\x00" not in got.name and len(os.fsencode(got.name)) <= 255
    assert files_under(root) == {got}


def assert_not_a_link_inside(got: Path, folder: Path) -> None:
    assert got.parent == folder and not got.is_symlink()


@pytest.mark.parametrize("case", sorted(DISPOSITIONS))
async def test_hostile_names_land_inside_the_folder(scripted, tmp_path, case):
    folder = tmp_path / "a" / "dl"
    folder.mkdir(parents=True)
    srv = serving(scripted, DISPOSITIONS[case])
    async with ferrocrawl.ClientSession() as s:
        got = Path(await s.download(srv.url("/f"), str(folder)))
    assert_landed_inside(got, folder, tmp_path)


async def test_a_symlink_in_the_folder_is_not_followed_outside(scripted, tmp_path):
    folder = tmp_path / "dl"
    folder.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"SECRET")
    (folder / "report.pdf").symlink_to(outside)
    srv = serving(scripted, 'attachment; filename="report.pdf"')
    async with ferrocrawl.ClientSession() as s:
        try:
            got = Path(await s.download(srv.url("/f"), str(folder)))
        except ferrocrawl.UnsafePathError as e:  # refusing is the documented answer
            assert isinstance(e, ValueError) and "symlink" in str(e)
        else:  # replacing the link by a file inside the folder would be safe too
            assert_not_a_link_inside(got, folder)
    assert outside.read_bytes() == b"SECRET"
    assert {p.name for p in tmp_path.iterdir()} == {"dl", "outside.txt"}
