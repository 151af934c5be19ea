"""This process's memory, from /proc (Linux): the resident set now, and its peak over a block.

with PeakRss() as mem:
    ...                        # mem.before, then mem.peak and mem.after, in bytes
"""

from __future__ import annotations

import os
import threading
import time


def rss() -> int:
    """Resident set size of this process, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _reset_peak() -> bool:
    """Resets the kernel's high-water mark (VmHWM) to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _kernel_peak() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


class PeakRss:
    """The peak resident set while the block runs: the kernel's exact high-water mark when it
    can be reset, else a thread sampling every 2 ms (which may miss a short peak)."""

    def __enter__(self) -> PeakRss:
        self.before = rss()
        self.peak = self.before
        self._exact = _reset_peak()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if not self._exact:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss())
            time.sleep(0.002)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        else:
            self.peak = _kernel_peak()
        self.after = rss()
