"""Small measuring tools: wall time and peak resident memory of this process and its children."""
from __future__ import annotations

import threading
import time
from typing import Any

import psutil


def _rss(proc: psutil.Process) -> int:
    """A child's RSS, 0 when it exits between being listed and being read (dbt's short-lived helpers)."""
    try:
        return proc.memory_info().rss
    except psutil.Error:
        return 0


class Peak:
    """Wall time of a block and the peak RSS of this process tree during it (sampled every 0.1 s): the
    bench itself, the DuckDB it opens in-process, and every child (dbt, the sandbox) with theirs."""

    def __init__(self, name: str, results: dict[str, Any]):
        self.name, self.results = name, results
        self._stop = threading.Event()
        self.peak_self = self.peak_tree = 0
        self.extra: dict[str, Any] = {}  # what the block measured itself (dbt's node time), kept beside

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            own = me.memory_info().rss
            tree = own + sum(_rss(c) for c in me.children(recursive=True))
            self.peak_self, self.peak_tree = max(self.peak_self, own), max(self.peak_tree, tree)
            self._stop.wait(0.1)

    def __enter__(self) -> Peak:
        self.started = time.perf_counter()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.seconds = time.perf_counter() - self.started
        self.results[self.name] = {"seconds": round(self.seconds, 3),
                                   "peak_rss_mb": round(self.peak_tree / 2**20, 1),
                                   "peak_rss_self_mb": round(self.peak_self / 2**20, 1), **self.extra}
