"""Where the collector's "now" comes from.

Live it is the system clock. A replay (demo, tests) runs a compressed clock: sim = start +
max(0, time.time() - wall_epoch) * rate, the same formula the exchange sandbox replays with, so the
receiving side stamps messages with the simulated time at which they arrive.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass


class SystemClock:
    rate = 1.0

    def now(self) -> float:
        return time.time()

    def wall_seconds(self, sim_seconds: float) -> float:
        return sim_seconds


@dataclass(frozen=True)
class ReplayClock:
    start: float  # epoch seconds shown at wall_epoch (and before it: the clock waits there)
    rate: float
    wall_epoch: float

    def now(self) -> float:
        return self.start + max(0.0, time.time() - self.wall_epoch) * self.rate

    def wall_seconds(self, sim_seconds: float) -> float:
        """Wall seconds until `sim_seconds` of this clock have passed."""
        ahead = max(0.0, self.wall_epoch - time.time())
        return ahead + sim_seconds / self.rate


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


def parse_iso(text: str) -> float:
    text = text.strip()
    if len(text) == 10:
        text += "T00:00:00"
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


class ScheduleClock:
    """A replay clock that follows a schedule file, so a driver can play one window after another.

    The file holds {"start": epoch s, "rate": x, "wall_epoch": s, "end": epoch s}: the clock reads `start`
    until wall_epoch, runs at `rate` and holds at `end`, where it waits for the next window. The driver
    (the demo) writes a new window when it wants simulated time to move on, and gives the sandbox the
    same numbers. It is read again whenever it changes (checked at most every 2 ms).
    """

    def __init__(self, path):
        import os

        self._path, self._os = path, os
        self._mtime = None
        self._checked = 0.0
        self._window = (0.0, 1.0, 0.0, 0.0)
        self._reload(force=True)

    def _reload(self, force: bool = False) -> None:
        import json

        wall = time.time()
        if not force and wall - self._checked < 0.002:
            return
        self._checked = wall
        try:
            mtime = self._os.stat(self._path).st_mtime_ns
        except OSError:
            return
        if mtime == self._mtime:
            return
        try:
            doc = json.loads(open(self._path, encoding="utf-8").read())
            self._window = (float(doc["start"]), float(doc["rate"]), float(doc["wall_epoch"]), float(doc["end"]))
            self._mtime = mtime
        except (OSError, ValueError, KeyError, TypeError):
            pass  # half-written by a careless driver: keep the previous window

    @property
    def rate(self) -> float:
        return self._window[1]

    @property
    def window(self) -> tuple[float, float, float, float]:
        """(start, rate, wall_epoch, end) in force, so a driver can see the new window was taken."""
        return self._window

    def now(self) -> float:
        self._reload()
        start, rate, epoch, end = self._window
        return min(end, start + max(0.0, time.time() - epoch) * rate)

    def wall_seconds(self, sim_seconds: float) -> float:
        start, rate, epoch, end = self._window
        if self.now() >= end:
            return 0.01  # holding: look again soon for the next window
        return max(0.0, epoch - time.time()) + sim_seconds / rate
