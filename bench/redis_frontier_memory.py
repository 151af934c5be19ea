#!/usr/bin/env python3
"""Bytes per URL of the Redis frontier at 1 000 000 URLs: exact seen-set and Bloom filters.

    python bench/redis_frontier_memory.py [--urls 1000000]

Starts a private redis-server (no persistence) and runs the Rust example
`crates/ferrocrawl-core/examples/redis_bytes_per_url.rs` once per seen-set (sized for N with
expected=N; a fresh crawl name each time, FLUSHALL between): it pushes N URLs over 1 000 hosts,
reads INFO memory while they are queued, pops and acks them all, reads it again (only the
seen-set is left). Prints one table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers.redis import RedisServer  # noqa: E402

SEEN = ["seen=exact", "seen=bloom&fp_rate=0.001", "seen=bloom&fp_rate=0.01"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--urls", type=int, default=1_000_000)
    a = ap.parse_args()
    fast = {
        "CARGO_PROFILE_RELEASE_LTO": "off",
        "CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "16",
        "CARGO_PROFILE_RELEASE_INCREMENTAL": "false",
    }
    cargo = ["cargo", "run", "--release", "-q", "-p", "ferrocrawl-core", "--example"]
    cargo += ["redis_bytes_per_url", "--"]
    print("| frontier URL | URLs | queued | done (seen-set) | lost | push URL/s | pop+ack URL/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with RedisServer(appendonly=False) as redis:
        for query in SEEN:
            redis.cli("FLUSHALL")
            url = f"{redis.url}?{query}&expected={a.urls}"
            out = subprocess.run(
                [*cargo, url, str(a.urls)],
                cwd=ROOT,
                env={**os.environ, **fast},
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            fields = out.split("\t")
            cells = [f.split(" ", 1)[1] if " " in f else f for f in fields[2:]]
            print(f"| `{query}` | {int(fields[1]):,} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
