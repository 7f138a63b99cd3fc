"""The deterministic simulated market behind every venue of the sandbox.

Everything here is a pure function of (seed, venue, asset, time): any request can be answered without
precomputing the world, and the same seed always gives the same numbers. Per-day work (a day of minute
prices, a day of liquidations) is cached.

Units: times are ms epochs (UTC); prices are USD; open interest and liquidation quantities are in base
coins (BTC, ETH); funding rates are per funding interval (e.g. 0.0001 = 0.01 % per 8 h) unless a name says
"annual". Venue modules convert to venue units (contracts, USD contracts, strings).

Scenario: demo days 2026-10-20 .. 2026-11-26; funding builds up over the last five days before the
squeeze on 2026-11-26 (price -8 %, open interest -10 %, ~$1.5B of mostly long liquidations); the big
Friday option expiry is 2026-11-27 08:00 UTC (see sandbox.options). On-chain entity balances live in
sandbox.entities. `Market(seed)` binds a seed to all of it for the venue handlers.
"""
from __future__ import annotations

import datetime as dt
import math
import threading
from dataclasses import dataclass
from functools import lru_cache

from sandbox import rng

UTC = dt.UTC
MS_MINUTE = 60_000
MS_HOUR = 3_600_000
MS_DAY = 86_400_000

# --- scenario --------------------------------------------------------------------------------------------
ASSETS = ("BTC", "ETH")
DEMO_START = dt.date(2026, 10, 20)
DEMO_END = dt.date(2026, 11, 26)  # inclusive: 38 days
SQUEEZE_DAY = dt.date(2026, 11, 26)
FRIDAY_EXPIRY = dt.datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
DEFAULT_NOW = dt.datetime(2026, 11, 27, 0, 30, tzinfo=UTC)  # D+1 00:30 for the squeeze day's run
RUNUP_DAYS = 5  # funding climbs over the days before (and through) the squeeze

PERP_VENUES = ("binance", "bybit", "okx", "deribit", "bitmex", "hyperliquid")
LIQUIDATION_VENUES = ("binance", "bybit", "okx", "deribit", "bitmex")

BASE_PRICE = {"BTC": 95_000.0, "ETH": 3_300.0}
PRICE_ORIGIN = dt.date(2019, 1, 1)  # the day walk starts here; earlier days sit at the base price
SQUEEZE_DROP = {"BTC": 0.08, "ETH": 0.095}
SQUEEZE_CENTER_H = 14.5  # UTC hour around which the squeeze unwinds
SQUEEZE_WIDTH_H = 0.6

PERP_SYMBOLS = {
    "binance": {"BTC": "BTCUSDT", "ETH": "ETHUSDT"},
    "bybit": {"BTC": "BTCUSDT", "ETH": "ETHUSDT"},
    "okx": {"BTC": "BTC-USDT-SWAP", "ETH": "ETH-USDT-SWAP"},
    "deribit": {"BTC": "BTC-PERPETUAL", "ETH": "ETH-PERPETUAL"},
    "bitmex": {"BTC": "XBTUSD", "ETH": "ETHUSD"},
    "hyperliquid": {"BTC": "BTC", "ETH": "ETH"},
}


# --- time helpers ----------------------------------------------------------------------------------------
def to_ms(value: dt.datetime | dt.date) -> int:
    """ms epoch of a datetime (naive = UTC) or of a date's 00:00 UTC."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(), tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(round(value.timestamp() * 1000))


def from_ms(ms: int) -> dt.datetime:
    """Aware UTC datetime of a ms epoch."""
    return dt.datetime.fromtimestamp(ms / 1000, tz=UTC)


def day_of(ms: int) -> dt.date:
    """The UTC day a ms epoch falls in."""
    return dt.date(1970, 1, 1) + dt.timedelta(days=ms // MS_DAY)


def day_start_ms(day: dt.date) -> int:
    """ms epoch of a day's 00:00 UTC."""
    return (day - dt.date(1970, 1, 1)).days * MS_DAY


def parse_time(text: str) -> dt.datetime:
    """ISO 8601 (with Z, offset or none = UTC) or a date -> aware datetime."""
    text = text.strip()
    if len(text) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=UTC)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def demo_days() -> list[dt.date]:
    """DEMO_START .. DEMO_END inclusive (38 days)."""
    return [DEMO_START + dt.timedelta(days=i) for i in range((DEMO_END - DEMO_START).days + 1)]


def perp_symbol(venue: str, asset: str) -> str:
    """The venue's perpetual for an asset: BTCUSDT, BTC-USDT-SWAP, BTC-PERPETUAL, XBTUSD, BTC."""
    return PERP_SYMBOLS[venue][asset]


def asset_of_symbol(venue: str, symbol: str) -> str | None:
    """The asset a venue's perpetual symbol refers to, or None if the venue does not list it."""
    for asset, sym in PERP_SYMBOLS.get(venue, {}).items():
        if sym.upper() == symbol.upper():
            return asset
    return None


def _squeeze_shape(frac_of_day: float) -> float:
    """0 -> 1 over the squeeze day, mostly within an hour or two of SQUEEZE_CENTER_H."""
    def s(x: float) -> float:
        return 1.0 / (1.0 + math.exp(-(x * 24.0 - SQUEEZE_CENTER_H) / SQUEEZE_WIDTH_H))
    lo, hi = s(0.0), s(1.0)
    return (s(frac_of_day) - lo) / (hi - lo)


def squeeze_progress(t_ms: int) -> float:
    """How far the squeeze has unwound at t: 0 before the squeeze day, 1 after it."""
    start = day_start_ms(SQUEEZE_DAY)
    if t_ms < start:
        return 0.0
    if t_ms >= start + MS_DAY:
        return 1.0
    return _squeeze_shape((t_ms - start) / MS_DAY)


# --- prices ----------------------------------------------------------------------------------------------
_DAILY_SIGMA = {"BTC": 0.014, "ETH": 0.018}
_INTRADAY_SIGMA = {"BTC": 0.008, "ETH": 0.011}
_REVERSION = 0.10  # pulls the walk back to the base price so the demo stays near 95k / 3.3k
_RUNUP_DRIFT = 0.006
_opens: dict[tuple[int, str], list[float]] = {}
_opens_lock = threading.Lock()


def _log_open(seed: int, asset: str, day: dt.date) -> float:
    """log of the index at `day` 00:00: a mean-reverting daily walk from PRICE_ORIGIN."""
    i = (day - PRICE_ORIGIN).days
    mu = math.log(BASE_PRICE[asset])
    if i <= 0:
        return mu
    with _opens_lock:
        series = _opens.setdefault((seed, asset), [mu])
        while len(series) <= i:
            d = PRICE_ORIGIN + dt.timedelta(days=len(series) - 1)
            x = series[-1]
            if d == SQUEEZE_DAY:
                step = math.log(1.0 - SQUEEZE_DROP[asset])
            else:
                step = _REVERSION * (mu - x) + _DAILY_SIGMA[asset] * rng.normal(seed, "open", asset, d)
                if 0 < (SQUEEZE_DAY - d).days <= RUNUP_DAYS:
                    step += _RUNUP_DRIFT
            series.append(x + step)
        return series[i]


@lru_cache(maxsize=512)
def _minute_path(seed: int, asset: str, day: dt.date) -> tuple[float, ...]:
    """1440 index prices of one day: a Brownian bridge between two day opens (a sigmoid drop on the
    squeeze day), so each day can be drawn on its own."""
    a = _log_open(seed, asset, day)
    b = _log_open(seed, asset, day + dt.timedelta(days=1))
    squeeze = day == SQUEEZE_DAY
    vol = _INTRADAY_SIGMA[asset] * (2.5 if squeeze else 1.0) / math.sqrt(1440)
    gen = rng.stream(seed, "minutes", asset, day)
    w = [0.0]
    for _ in range(1440):
        w.append(w[-1] + gen.gauss(0.0, vol))
    end = w[-1]
    out = []
    for i in range(1440):
        f = i / 1440
        shape = _squeeze_shape(f) if squeeze else f
        out.append(math.exp(a + shape * (b - a) + w[i] - f * end))
    return tuple(out)


def index_price(seed: int, asset: str, t_ms: int) -> float:
    """Index (spot composite) price in USD at the minute containing t."""
    day = day_of(t_ms)
    return _minute_path(seed, asset, day)[(t_ms - day_start_ms(day)) // MS_MINUTE]


def day_open_price(seed: int, asset: str, day: dt.date) -> float:
    """Index at `day` 00:00 UTC."""
    return math.exp(_log_open(seed, asset, day))


def mark_price(seed: int, asset: str, t_ms: int, venue: str = "") -> float:
    """Perpetual mark price: index plus a premium that follows funding, plus a tiny venue wobble."""
    minute = t_ms // MS_MINUTE
    premium = annual_funding(seed, asset, t_ms) / (3 * 365) * 0.9
    wobble = 0.00004 * rng.normal(seed, "mark", venue, asset, minute)
    return index_price(seed, asset, t_ms) * (1.0 + premium + wobble)


# --- funding ---------------------------------------------------------------------------------------------
FUNDING_ORDINARY = (0.10, 0.15)  # annualized band of an ordinary day
FUNDING_PEAK = 0.40  # annualized, reached on the squeeze day
FUNDING_INTERVAL_H = {
    ("binance", "BTC"): 8, ("binance", "ETH"): 4,  # ETHUSDT is the non-8h symbol (see /fapi/v1/fundingInfo)
    ("bybit", "BTC"): 8, ("bybit", "ETH"): 8,
    ("okx", "BTC"): 8, ("okx", "ETH"): 8,
    ("bitmex", "BTC"): 8, ("bitmex", "ETH"): 8,
    ("deribit", "BTC"): 1, ("deribit", "ETH"): 1,  # continuous funding, reported as hourly rows
    ("hyperliquid", "BTC"): 1, ("hyperliquid", "ETH"): 1,
}
FUNDING_OFFSET_H = {"bitmex": 4}  # BitMEX settles at 04:00, 12:00, 20:00 UTC
_VENUE_FUNDING_SPREAD = 0.01  # max constant venue offset, annualized
_EVENT_FUNDING_NOISE = 0.004  # sd per event, annualized


def _daily_funding_level(seed: int, asset: str, day: dt.date) -> float:
    lo, hi = FUNDING_ORDINARY
    base = lo + (hi - lo) * rng.uniform(seed, "funding-level", asset, day)
    k = (day - SQUEEZE_DAY).days
    if -RUNUP_DAYS < k <= 0:
        return base + (FUNDING_PEAK - base) * (k + RUNUP_DAYS) / RUNUP_DAYS
    if k in (1, 2):  # crowded longs are gone: funding falls back over two days
        return base + (FUNDING_PEAK - base) * (0.3 if k == 1 else 0.1)
    return base


def annual_funding(seed: int, asset: str, t_ms: int) -> float:
    """Market-wide annualized funding level at t (the day's level plus a small hourly wiggle)."""
    return _daily_funding_level(seed, asset, day_of(t_ms)) + 0.003 * rng.normal(
        seed, "funding-hour", asset, t_ms // MS_HOUR)


def funding_interval_hours(venue: str, asset: str) -> int:
    """Hours between funding settlements of a venue's perpetual (8, 4 for Binance ETHUSDT, 1 hourly)."""
    return FUNDING_INTERVAL_H[(venue, asset)]


def funding_times(venue: str, asset: str, start_ms: int, end_ms: int) -> list[int]:
    """Funding settlement times of a venue/asset in [start_ms, end_ms], ascending."""
    step = funding_interval_hours(venue, asset) * MS_HOUR
    offset = FUNDING_OFFSET_H.get(venue, 0) * MS_HOUR
    first = -(-(start_ms - offset) // step) * step + offset
    return list(range(first, end_ms + 1, step)) if first <= end_ms else []


def venue_funding_offset(seed: int, venue: str, asset: str) -> float:
    """Constant annualized bias of one venue, so venues differ slightly but stay close."""
    return _VENUE_FUNDING_SPREAD * (2 * rng.uniform(seed, "venue-funding", venue, asset) - 1)


def funding_rate(seed: int, venue: str, asset: str, t_ms: int) -> float:
    """Rate of the funding event settling at t, per the venue's interval (10 decimals).

    It is the annualized level at the middle of the interval it covers, plus the venue's bias and noise.
    """
    hours = funding_interval_hours(venue, asset)
    mid = t_ms - hours * MS_HOUR // 2
    annual = (annual_funding(seed, asset, mid) + venue_funding_offset(seed, venue, asset)
              + _EVENT_FUNDING_NOISE * rng.normal(seed, "funding-event", venue, asset, t_ms))
    return round(annual * hours / (365 * 24), 10)


@dataclass(frozen=True)
class FundingEvent:
    venue: str
    asset: str
    symbol: str
    time_ms: int
    rate: float  # per interval
    interval_hours: int
    index_price: float
    mark_price: float

    @property
    def annualized(self) -> float:
        return self.rate * 365 * 24 / self.interval_hours


def funding_events(seed: int, venue: str, asset: str, start_ms: int, end_ms: int) -> list[FundingEvent]:
    """All funding events of a venue/asset with start_ms <= time <= end_ms, ascending."""
    hours = funding_interval_hours(venue, asset)
    symbol = perp_symbol(venue, asset)
    return [FundingEvent(venue, asset, symbol, t, funding_rate(seed, venue, asset, t), hours,
                         index_price(seed, asset, t), mark_price(seed, asset, t, venue))
            for t in funding_times(venue, asset, start_ms, end_ms)]


# --- open interest ---------------------------------------------------------------------------------------
OI_TOTAL = {"BTC": 275_000.0, "ETH": 2_500_000.0}  # one side, base coins, all six venues
OI_SHARE = {"binance": 0.30, "bybit": 0.22, "okx": 0.12, "hyperliquid": 0.26, "deribit": 0.06, "bitmex": 0.04}
SQUEEZE_OI_DROP = 0.10


def _oi_day_factor(seed: int, venue: str, asset: str, day: dt.date) -> float:
    """A venue's day-to-day drift of open interest around its share."""
    return 1.0 + 0.025 * rng.normal(seed, "oi-day", venue, asset, day)


def open_interest(seed: int, venue: str, asset: str, t_ms: int) -> float:
    """One-sided open interest of the venue's perpetual in base coins, at the hour containing t.

    Smooth day-to-day drift, a 10 % drop through the squeeze that is won back slowly afterwards.
    """
    hour_ms = t_ms - t_ms % MS_HOUR
    day = day_of(hour_ms)
    frac = (hour_ms - day_start_ms(day)) / MS_DAY
    f0 = _oi_day_factor(seed, venue, asset, day)
    f1 = _oi_day_factor(seed, venue, asset, day + dt.timedelta(days=1))
    level = OI_TOTAL[asset] * OI_SHARE[venue] * (f0 + (f1 - f0) * frac)
    days_after = (day - SQUEEZE_DAY).days
    drop = SQUEEZE_OI_DROP * squeeze_progress(hour_ms)
    if days_after > 0:
        drop *= max(0.0, 1.0 - 0.05 * days_after)
    noise = 1.0 + 0.003 * rng.normal(seed, "oi-hour", venue, asset, hour_ms)
    return level * (1.0 - drop) * noise


# --- liquidations ----------------------------------------------------------------------------------------
LIQUIDATION_SHARE = {"binance": 0.38, "bybit": 0.30, "okx": 0.18, "bitmex": 0.08, "deribit": 0.06}
ORDINARY_LIQ_USD = (100e6, 300e6)  # market-wide per day
SQUEEZE_LIQ_USD = 1.5e9
_QTY_DECIMALS = {"BTC": 3, "ETH": 2}
_PRICE_TICK = {"BTC": 0.1, "ETH": 0.01}


@dataclass(frozen=True)
class Liquidation:
    venue: str
    asset: str
    symbol: str
    id: str  # unique, stable (uuid shape)
    seq: int  # unique per venue, increasing with time within a venue/asset/day
    time_ms: int
    side: str  # side of the liquidated position: "long" or "short"
    price: float
    qty: float  # base coins
    usd: float  # qty * price


def liquidation_budget(seed: int, day: dt.date) -> tuple[float, float]:
    """(market-wide USD liquidated, long share of it) planned for a day, before rounding."""
    if day == SQUEEZE_DAY:
        return (SQUEEZE_LIQ_USD * (1 + 0.03 * (2 * rng.uniform(seed, "liq-total", day) - 1)),
                0.976 + 0.006 * (2 * rng.uniform(seed, "liq-share", day) - 1))
    lo, hi = ORDINARY_LIQ_USD
    return (lo + (hi - lo) * rng.uniform(seed, "liq-total", day),
            0.30 + 0.035 * (2 * rng.uniform(seed, "liq-share", day) - 1))


def _event_time(gen, day_start: int, squeeze: bool) -> int:
    if squeeze and gen.random() < 0.85:  # most of the squeeze-day flow comes while the price falls
        hours = min(23.999, max(0.0, gen.gauss(SQUEEZE_CENTER_H, 1.0)))
        return day_start + int(hours * MS_HOUR)
    return day_start + int(gen.random() * MS_DAY)


@lru_cache(maxsize=256)
def liquidations(seed: int, venue: str, asset: str, day: dt.date, scale: float = 1.0) -> tuple[Liquidation, ...]:
    """All liquidations of one venue/asset/day, in time order.

    ~100-400 events (x `scale`; the USD totals do not change with scale, only how finely they are cut).
    The day's USD budget is split over venues (LIQUIDATION_SHARE) and assets, then over events with
    lognormal sizes, so each venue/asset carries the day's long share.
    """
    if venue not in LIQUIDATION_SHARE:
        return ()
    total, long_share = liquidation_budget(seed, day)
    btc_share = 0.55 + 0.05 * (2 * rng.uniform(seed, "liq-asset", day) - 1)
    bucket = total * LIQUIDATION_SHARE[venue] * (btc_share if asset == "BTC" else 1 - btc_share)
    squeeze = day == SQUEEZE_DAY
    gen = rng.stream(seed, "liquidations", venue, asset, day)
    n = max(2, round((gen.randint(370, 400) if squeeze else gen.randint(100, 400)) * scale))
    n_long = min(n - 1, max(1, round(n * long_share)))
    sides = ["long"] * n_long + ["short"] * (n - n_long)
    weights = [gen.lognormvariate(0.0, 1.1) for _ in range(n)]
    side_sum = {"long": sum(weights[:n_long]), "short": sum(weights[n_long:])}
    side_usd = {"long": bucket * long_share, "short": bucket * (1 - long_share)}
    start = day_start_ms(day)
    raw = []
    for i in range(n):
        t = _event_time(gen, start, squeeze)
        slip = 0.0005 + 0.003 * gen.random()  # a liquidated long is sold below the index, a short bought above
        side = sides[i]
        px = index_price(seed, asset, t) * (1 - slip if side == "long" else 1 + slip)
        px = round(round(px / _PRICE_TICK[asset]) * _PRICE_TICK[asset], 2)
        usd = side_usd[side] * weights[i] / side_sum[side]
        step = 10 ** -_QTY_DECIMALS[asset]
        qty = round(max(step, usd / px), _QTY_DECIMALS[asset])
        raw.append((t, i, side, px, qty))
    raw.sort()
    symbol = perp_symbol(venue, asset)
    base_seq = ((day - PRICE_ORIGIN).days * 2 + ASSETS.index(asset)) * 10**7
    return tuple(
        Liquidation(venue, asset, symbol, rng.uuid_like(seed, "liq-id", venue, asset, day, k), base_seq + k,
                    t, side, px, qty, round(qty * px, 2))
        for k, (t, _, side, px, qty) in enumerate(raw))


def liquidations_between(seed: int, venue: str, asset: str, start_ms: int, end_ms: int,
                         scale: float = 1.0) -> list[Liquidation]:
    """Liquidations with start_ms <= time <= end_ms, in time order (spans days)."""
    out: list[Liquidation] = []
    day = day_of(start_ms)
    while day_start_ms(day) <= end_ms:
        out.extend(e for e in liquidations(seed, venue, asset, day, scale) if start_ms <= e.time_ms <= end_ms)
        day += dt.timedelta(days=1)
    return out


def liquidation_summary(seed: int, day: dt.date, scale: float = 1.0) -> dict:
    """Market-wide USD liquidated on a day and the long share, computed from the events themselves."""
    total = longs = 0.0
    by_venue: dict[str, float] = {}
    for venue in LIQUIDATION_VENUES:
        for asset in ASSETS:
            for e in liquidations(seed, venue, asset, day, scale):
                total += e.usd
                by_venue[venue] = by_venue.get(venue, 0.0) + e.usd
                if e.side == "long":
                    longs += e.usd
    return {"day": day.isoformat(), "total_usd": total, "long_usd": longs,
            "long_share": longs / total if total else 0.0, "by_venue": by_venue}


# --- a seed bound to all of the above --------------------------------------------------------------------
class Market:
    """The market of one seed; venue handlers get one of these. Methods mirror the module functions."""

    def __init__(self, seed: int = 7):
        self.seed = seed

    def index_price(self, asset: str, t_ms: int) -> float:
        return index_price(self.seed, asset, t_ms)

    def mark_price(self, asset: str, t_ms: int, venue: str = "") -> float:
        return mark_price(self.seed, asset, t_ms, venue)

    def annual_funding(self, asset: str, t_ms: int) -> float:
        return annual_funding(self.seed, asset, t_ms)

    def funding_rate(self, venue: str, asset: str, t_ms: int) -> float:
        return funding_rate(self.seed, venue, asset, t_ms)

    def funding_events(self, venue: str, asset: str, start_ms: int, end_ms: int) -> list[FundingEvent]:
        return funding_events(self.seed, venue, asset, start_ms, end_ms)

    def open_interest(self, venue: str, asset: str, t_ms: int) -> float:
        return open_interest(self.seed, venue, asset, t_ms)

    def liquidations(self, venue: str, asset: str, day: dt.date, scale: float = 1.0) -> tuple[Liquidation, ...]:
        return liquidations(self.seed, venue, asset, day, scale)

    def liquidations_between(self, venue: str, asset: str, start_ms: int, end_ms: int,
                             scale: float = 1.0) -> list[Liquidation]:
        return liquidations_between(self.seed, venue, asset, start_ms, end_ms, scale)

    def liquidation_summary(self, day: dt.date, scale: float = 1.0) -> dict:
        return liquidation_summary(self.seed, day, scale)

    # options and balances live in their own modules (they build on the prices above)
    def option_chain(self, venue: str, asset: str, day: dt.date):
        from sandbox import options
        return options.option_chain(self.seed, venue, asset, day)

    def option_chain_at(self, venue: str, asset: str, now_ms: int):
        from sandbox import options
        return options.option_chain_at(self.seed, venue, asset, now_ms)

    def max_pain(self, asset: str, expiry: dt.datetime, day: dt.date, venues=None):
        from sandbox import options
        return options.max_pain(self.seed, asset, expiry, day, venues)

    def balance(self, chain: str, address: str, day: dt.date, provider: str) -> float:
        from sandbox import entities
        return entities.balance(self.seed, chain, address, day, provider)
