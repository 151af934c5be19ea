"""Content-Encoding codecs the fixtures can produce: gzip and deflate always, br and zstd when
a package for them is installed (brotli / brotlicffi; compression.zstd / backports.zstd /
zstandard)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable


def _brotli() -> Callable[[bytes], bytes] | None:
    for name in ("brotli", "brotlicffi"):
        try:
            mod = __import__(name)
        except ImportError:
            continue
        return mod.compress  # type: ignore[no-any-return]
    return None


def _zstd() -> Callable[[bytes], bytes] | None:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14+

        return zstd.compress  # type: ignore[no-any-return]
    except ImportError:
        pass
    try:
        from backports import zstd  # type: ignore[no-redef]

        return zstd.compress  # type: ignore[no-any-return]
    except ImportError:
        pass
    try:
        import zstandard

        return zstandard.ZstdCompressor().compress
    except ImportError:
        return None


ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,  # HTTP "deflate" is the zlib format
    "identity": lambda b: b,
}
if (_br := _brotli()) is not None:
    ENCODERS["br"] = _br
if (_zs := _zstd()) is not None:
    ENCODERS["zstd"] = _zs
