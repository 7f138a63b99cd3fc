"""What one running sandbox holds: the market, the simulated clock, faults, rate limits, past pages."""
from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field

from aiohttp import web

from sandbox.market import DEFAULT_NOW, Market, from_ms, parse_time, to_ms


class SimClock:
    """The sandbox's idea of now.

    Frozen by default (rate 0) so answers are reproducible; with rate 1 it runs at wall speed from the
    moment it was set (useful for streams), with rate 60 a minute passes every second.
    """

    def __init__(self, now: dt.datetime | str | None = None, rate: float = 0.0):
        self._lock = threading.Lock()
        self.set(now, rate)

    def set(self, now: dt.datetime | str | None = None, rate: float | None = None) -> None:
        if isinstance(now, str):
            now = parse_time(now)
        with self._lock:
            self._base_ms = to_ms(now or DEFAULT_NOW)
            self._anchor = time.monotonic()
            if rate is not None:
                self._rate = float(rate)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._base_ms += int(seconds * 1000)

    def now_ms(self) -> int:
        with self._lock:
            return self._base_ms + int((time.monotonic() - self._anchor) * self._rate * 1000)

    @property
    def rate(self) -> float:
        return self._rate

    def as_dict(self) -> dict:
        ms = self.now_ms()
        return {"now": from_ms(ms).isoformat().replace("+00:00", "Z"), "now_ms": ms, "rate": self._rate}


@dataclass
class SandboxState:
    seed: int
    market: Market
    clock: SimClock
    faults: object  # sandbox.faults.FaultBook
    limiter: object  # sandbox.ratelimit.RateLimiter
    last_pages: dict = field(default_factory=dict)  # (venue, path, identity) -> (status, body, content type)

    def now_ms(self) -> int:
        return self.clock.now_ms()


STATE_KEY = web.AppKey("sandbox", SandboxState)
