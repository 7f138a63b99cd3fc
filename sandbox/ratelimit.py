"""Per-venue request limits: a token bucket per venue, refilled in wall time.

The rates are deliberately generous (the sandbox is local) but real: a client that ignores them gets the
venue's own 429 answer with a Retry-After header. `scale` multiplies every rate; scale <= 0 turns limits off.
"""
from __future__ import annotations

import math
import threading
import time

REQUESTS_PER_SECOND = {
    "binance": 50.0,
    "binance-options": 50.0,
    "bybit": 50.0,
    "okx": 50.0,
    "deribit": 50.0,
    "bitmex": 50.0,
    "hyperliquid": 50.0,
}


class RateLimiter:
    def __init__(self, scale: float = 1.0, rates: dict[str, float] | None = None):
        self._lock = threading.Lock()
        self._rates = dict(rates or REQUESTS_PER_SECOND)
        self._buckets: dict[str, tuple[float, float]] = {}  # venue -> (tokens, last refill)
        self.scale = scale

    @property
    def scale(self) -> float:
        return self._scale

    @scale.setter
    def scale(self, value: float) -> None:
        with self._lock:
            self._scale = float(value)
            self._buckets.clear()

    def rate(self, venue: str) -> float:
        return self._rates.get(venue, 50.0) * self._scale

    def check(self, venue: str) -> float | None:
        """Take one token; None if allowed, else the seconds to wait before asking again (>= 1)."""
        rate = self.rate(venue)
        if rate <= 0:
            return None
        capacity = max(1.0, rate)  # one second of burst
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(venue, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[venue] = (tokens - 1.0, now)
                return None
            self._buckets[venue] = (tokens, now)
            return float(max(1, math.ceil((1.0 - tokens) / rate)))

    def as_dict(self) -> dict:
        return {"scale": self._scale, "requests_per_second": {v: self.rate(v) for v in self._rates}}
