"""Per-venue request limits: a token bucket per venue, refilled in wall time.

The rates are deliberately generous (the sandbox is local) but real: a client that ignores them gets the
venue's own 429 answer with a Retry-After header. `scale` multiplies every rate; scale <= 0 turns limits off.
`documented=True` uses each venue's documented limit instead (ingest/venues/<source>/contract.yml, the same file
the ingest cites), for runs that must pace themselves as against the real venue; the 429 answers quote the
documented numbers either way.
"""
from __future__ import annotations

import math
import threading
import time

from ingest import contracts

REQUESTS_PER_SECOND = {
    "binance": 50.0,
    "binance-options": 50.0,
    "bybit": 50.0,
    "okx": 50.0,
    "deribit": 50.0,
    "bitmex": 50.0,
    "hyperliquid": 50.0,
}


# sandbox mount -> the contract that documents its limit (Binance's options host shares Binance's file)
CONTRACT_SOURCE = {"binance-options": "binance"}


def documented_rates(venues=None) -> dict[str, float]:
    """Requests per second each venue documents (its contract's rate_limit)."""
    return {v: contracts.requests_per_second(CONTRACT_SOURCE.get(v, v)) for v in (venues or REQUESTS_PER_SECOND)}


def documented_bursts() -> dict[str, float]:
    """A documented limit is a budget per window (2400 a minute, 600 per 5 s): the whole budget may be spent at
    once, so it is the bucket's capacity."""
    venues = set(REQUESTS_PER_SECOND) | set(contracts.sources())
    return {v: float(contracts.rate_limit(CONTRACT_SOURCE.get(v, v))["requests"]) for v in venues}


class RateLimiter:
    def __init__(self, scale: float = 1.0, rates: dict[str, float] | None = None, documented: bool = False):
        self._lock = threading.Lock()
        if documented and rates is None:
            rates = documented_rates(set(REQUESTS_PER_SECOND) | set(contracts.sources()))
        self._rates = dict(rates or REQUESTS_PER_SECOND)
        self._bursts = documented_bursts() if documented else {}
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

    @staticmethod
    def cost(venue: str, query) -> float:
        """What one request spends: 1, or one per item of the parameter the venue charges by (Coinalyze counts
        every symbol of a request as one API call)."""
        source = CONTRACT_SOURCE.get(venue, venue)
        per_item = (contracts.source_contract(source).get("rate_limit") or {}).get("cost_per_item") \
            if source in contracts.sources() else None
        if per_item and query.get(per_item):
            return float(max(1, len([s for s in str(query[per_item]).split(",") if s])))
        return 1.0

    def check(self, venue: str, cost: float = 1.0) -> float | None:
        """Take `cost` tokens; None if allowed, else the seconds to wait before asking again (>= 1)."""
        rate = self.rate(venue)
        if rate <= 0:
            return None
        # one second of burst locally; the documented window's whole budget when pacing like the venue
        capacity = max(cost, self._bursts.get(venue) or max(1.0, rate))
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(venue, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= cost:
                self._buckets[venue] = (tokens - cost, now)
                return None
            self._buckets[venue] = (tokens, now)
            return float(max(1, math.ceil((cost - tokens) / rate)))

    def as_dict(self) -> dict:
        return {"scale": self._scale, "requests_per_second": {v: self.rate(v) for v in self._rates}}
