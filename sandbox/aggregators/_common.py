"""What both aggregators share: how far each strays from the market, and the market's series they sum.

Candles cover [t, t + step). A state (open interest, the funding rate in force) is sampled on the hour;
a candle's close is the state at its end (or now, while it is still open), so a daily candle of day D
closes on the state at D+1 00:00, the moment the warehouse reads states at. Flows (liquidations) are the
events inside the candle.
"""
from __future__ import annotations

import threading
from functools import lru_cache

from aiohttp import web

from sandbox import market as mk

PERP_VENUES = mk.PERP_VENUES


# The key's plan, where an aggregator serves plans differently (CoinGlass: candle intervals by plan). The
# sandbox accepts any key, so the plan is a setting: POST /_sandbox/aggregators {"coinglass": {"plan": ..}}.
PLANS = {"coinglass": ("hobbyist", "startup", "standard", "professional", "enterprise")}
DEFAULT_PLANS = {"coinglass": "standard"}


class Settings:
    """How far each aggregator strays from the simulated market: every value times (1 + diverge)."""

    def __init__(self, names: tuple[str, ...]):
        self._names = names
        self._lock = threading.Lock()
        self._diverge = {name: 0.0 for name in names}
        self._plan = dict(DEFAULT_PLANS)

    def factor(self, name: str) -> float:
        with self._lock:
            return 1.0 + self._diverge.get(name, 0.0)

    def plan(self, name: str) -> str | None:
        with self._lock:
            return self._plan.get(name)

    def update(self, changes: dict) -> None:
        parsed, plans = {}, {}
        for name, spec in changes.items():
            if name not in self._names:
                raise ValueError(f"unknown aggregator {name!r}; known: {', '.join(sorted(self._names))}")
            if isinstance(spec, dict) and "plan" in spec:
                if name not in DEFAULT_PLANS or spec["plan"] not in PLANS[name]:
                    raise ValueError(f"{name}: plan must be one of {', '.join(PLANS.get(name, ()))}")
                plans[name] = spec["plan"]
                if "diverge" not in spec:
                    continue
            value = spec.get("diverge", 0.0) if isinstance(spec, dict) else None
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f'{name}: expected {{"diverge": number}}')
            if value <= -1.0:
                raise ValueError(f"{name}: diverge must be above -1 (values are scaled by 1 + diverge)")
            parsed[name] = float(value)
        with self._lock:
            self._diverge.update(parsed)
            self._plan.update(plans)

    def reset(self) -> None:
        with self._lock:
            self._diverge = {name: 0.0 for name in self._names}
            self._plan = dict(DEFAULT_PLANS)

    def as_dict(self) -> dict:
        with self._lock:
            return {name: {"diverge": value, **({"plan": self._plan[name]} if name in self._plan else {})}
                    for name, value in self._diverge.items()}


SETTINGS_KEY = web.AppKey("aggregator_settings", Settings)


def factor(request: web.Request, name: str) -> float:
    settings = request.config_dict.get(SETTINGS_KEY)
    return settings.factor(name) if settings is not None else 1.0


def candle_starts(start_ms: int, end_ms: int, step_ms: int, now_ms: int, offset_ms: int = 0) -> list[int]:
    """Starts of the candles of `step` that begin within [start, end] and have begun by now."""
    first = -(-(start_ms - offset_ms) // step_ms) * step_ms + offset_ms
    last = min(end_ms, now_ms)
    return list(range(first, last + 1, step_ms)) if first <= last else []


def hours_in(t_ms: int, end_ms: int) -> list[int]:
    """The hour marks in [t, end] (the hourly samples of a state)."""
    first = -(-t_ms // mk.MS_HOUR) * mk.MS_HOUR
    return list(range(first, end_ms + 1, mk.MS_HOUR))


def liquidation_usd(seed: int, venue: str, asset: str, start_ms: int, end_ms: int) -> tuple[float, float]:
    """(long, short) USD liquidated on a venue in [start, end)."""
    longs = shorts = 0.0
    for e in mk.liquidations_between(seed, venue, asset, start_ms, end_ms - 1):
        if e.side == "long":
            longs += e.usd
        else:
            shorts += e.usd
    return longs, shorts


@lru_cache(maxsize=4096)
def oi_coins(seed: int, venue: str, asset: str, t_ms: int) -> float:
    return mk.open_interest(seed, venue, asset, t_ms)


def oi_usd(seed: int, venue: str, asset: str, t_ms: int) -> float:
    return oi_coins(seed, venue, asset, t_ms) * mk.index_price(seed, asset, t_ms)


@lru_cache(maxsize=8192)
def funding_in_force(seed: int, venue: str, asset: str, t_ms: int) -> tuple[float, int]:
    """(rate per interval, interval hours) of the latest settlement at or before t."""
    hours = mk.funding_interval_hours(venue, asset)
    times = mk.funding_times(venue, asset, t_ms - hours * mk.MS_HOUR, t_ms)
    return mk.funding_rate(seed, venue, asset, times[-1]), hours


def ohlc(values: list[float]) -> dict[str, float]:
    return {"o": values[0], "h": max(values), "l": min(values), "c": values[-1]}
