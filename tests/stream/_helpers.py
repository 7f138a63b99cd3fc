"""Shared bits of the stream tests: a sandbox replay and a look at what the collector landed."""
from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import threading
import time
from pathlib import Path

UTC = dt.UTC
SQUEEZE = dt.datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # the densest hour of the scenario


def start_replay(sandbox, start: dt.datetime, rate: float, lead: float = 1.5) -> float:
    """Have the sandbox replay from `start` at `rate` x, beginning `lead` wall seconds from now."""
    epoch = time.time() + lead
    sandbox.replay_streams(start, rate, wall_epoch=epoch)
    return epoch


def landed(root: Path, source: str, dataset: str = "liquidations_ws") -> list[dict]:
    out = []
    for path in sorted((root / "landing" / f"source={source}" / f"dataset={dataset}").rglob("*.ndjson.gz")):
        out.extend(json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines())
    return out


def gaps(root: Path, source: str) -> list[dict]:
    base = root / "landing" / "_gaps" / f"source={source}"
    return [json.loads(line) for p in sorted(base.glob("date=*/*.ndjson")) for line in p.read_text().splitlines()]


def wait_for(predicate, timeout: float, what: str, step: float = 0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def parse(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts)


def run_in_thread(collector) -> tuple[threading.Thread, dict]:
    """The collector on a thread of its own; its stats are under "stats" in the dict once it stops."""
    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(stats=asyncio.run(collector.run(install_signals=False))))
    thread.start()
    return thread, box
