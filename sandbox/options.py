"""Option chains of the simulated market (deribit, okx, bybit, binance), one snapshot per day.

A day's chain is the state at the close of that day (D+1 00:00 UTC), the way the warehouse reads states.
Expiries follow the venues' habit (08:00 UTC): dailies for the next few days, Friday weeklies, last-Friday
monthlies and quarterlies. An expiry's strike grid is fixed when it is listed (centred on the price of that
day), so instruments do not appear and vanish as the price moves.

Open interest is in coins. Per expiry the cross-venue total follows a build-up curve towards expiry, split
over venues (Deribit holds most) and over strikes with a skew: call interest sits above the listing price,
put interest below it, more calls than puts, with extra interest on round strikes, so max pain is a single,
well-defined strike. The Friday 2026-11-27 expiry is pinned to 91,000 BTC and 435,000 ETH as of 2026-11-26.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache

from sandbox import rng
from sandbox.market import (
    FRIDAY_EXPIRY,
    MS_DAY,
    SQUEEZE_DAY,
    UTC,
    day_of,
    day_open_price,
    index_price,
    squeeze_progress,
    to_ms,
)

OPTION_VENUES = ("deribit", "okx", "bybit", "binance")
OPTION_VENUE_SHARE = {"deribit": 0.74, "okx": 0.10, "bybit": 0.09, "binance": 0.07}
FRIDAY_TARGET_OI = {"BTC": 91_000.0, "ETH": 435_000.0}  # all four venues, coins, as of TARGET_DAY
TARGET_DAY = SQUEEZE_DAY
EXPIRY_HOUR = 8

# how far ahead each kind of expiry is listed (days) and the all-venue open interest it builds up to
LISTING_WINDOW_DAYS = {"daily": 4, "weekly": 28, "monthly": 100, "quarterly": 400}
PEAK_OI = {
    "BTC": {"daily": 1_500.0, "weekly": 9_000.0, "monthly": 55_000.0, "quarterly": 120_000.0},
    "ETH": {"daily": 7_000.0, "weekly": 43_000.0, "monthly": 260_000.0, "quarterly": 570_000.0},
}
STRIKE_STEPS = {"BTC": (1_000, 5_000), "ETH": (50, 200)}  # fine within +-10 % of the centre, coarse beyond
STRIKE_RANGE = {"daily": (0.90, 1.10), "weekly": (0.80, 1.25), "monthly": (0.60, 1.60), "quarterly": (0.40, 2.50)}
OI_LOT = {"deribit": {"BTC": 0.1, "ETH": 1.0}, "okx": {"BTC": 0.01, "ETH": 0.1},
          "bybit": {"BTC": 0.01, "ETH": 0.1}, "binance": {"BTC": 0.01, "ETH": 0.01}}
BASE_IV = {"BTC": 0.48, "ETH": 0.62}
_BUILDUP_DAYS = 45.0
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True)
class OptionInstrument:
    venue: str
    asset: str
    expiry: dt.datetime
    strike: float
    kind: str  # "C" or "P"
    category: str  # daily, weekly, monthly, quarterly
    listed_at: dt.datetime
    open_interest: float  # coins

    @property
    def name(self) -> str:
        return instrument_name(self.venue, self.asset, self.expiry, self.strike, self.kind)

    @property
    def expiry_ms(self) -> int:
        return to_ms(self.expiry)


def _fmt_strike(strike: float) -> str:
    return str(int(strike)) if float(strike).is_integer() else f"{strike:g}"


def instrument_name(venue: str, asset: str, expiry: dt.datetime, strike: float, kind: str) -> str:
    """The venue's option symbol: deribit/bybit BTC-27NOV26-95000-C, okx BTC-USD-261127-95000-C,
    binance BTC-261127-95000-C."""
    k = _fmt_strike(strike)
    if venue in ("deribit", "bybit"):
        return f"{asset}-{expiry.day}{_MONTHS[expiry.month - 1]}{expiry:%y}-{k}-{kind}"
    if venue == "okx":
        return f"{asset}-USD-{expiry:%y%m%d}-{k}-{kind}"
    if venue == "binance":
        return f"{asset}-{expiry:%y%m%d}-{k}-{kind}"
    raise ValueError(f"no options on {venue}")


def _is_last_friday(d: dt.date) -> bool:
    return d.weekday() == 4 and (d + dt.timedelta(days=7)).month != d.month


def expiry_category(expiry: dt.datetime) -> str:
    d = expiry.date()
    if _is_last_friday(d):
        return "quarterly" if d.month in (3, 6, 9, 12) else "monthly"
    return "weekly" if d.weekday() == 4 else "daily"


def snapshot_time(day: dt.date) -> dt.datetime:
    """The moment a day's chain describes: the close of the day."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=UTC)


def listed_expiries(venue: str, day: dt.date) -> list[tuple[dt.datetime, str]]:
    """(expiry, category) listed at the close of `day`, soonest first."""
    snap = snapshot_time(day)
    out = []
    for i in range(0, LISTING_WINDOW_DAYS["quarterly"] + 1):
        expiry = dt.datetime.combine(snap.date() + dt.timedelta(days=i), dt.time(EXPIRY_HOUR), tzinfo=UTC)
        if expiry <= snap:
            continue
        category = expiry_category(expiry)
        window = LISTING_WINDOW_DAYS[category]
        if venue == "binance" and category == "quarterly":
            window = 200  # Binance lists fewer far quarterlies
        if (expiry - snap).total_seconds() <= window * 86400:
            out.append((expiry, category))
    return out


def listing_time(expiry: dt.datetime, category: str) -> dt.datetime:
    d = expiry.date() - dt.timedelta(days=LISTING_WINDOW_DAYS[category])
    return dt.datetime.combine(d, dt.time(EXPIRY_HOUR), tzinfo=UTC)


def strike_grid(asset: str, category: str, centre: float) -> list[float]:
    fine, coarse = STRIKE_STEPS[asset]
    lo, hi = STRIKE_RANGE[category]
    strikes = set()
    for step, a, b in ((coarse, centre * lo, centre * hi), (fine, centre * 0.9, centre * 1.1)):
        k = math.ceil(max(a, centre * lo) / step) * step
        while k <= min(b, centre * hi):
            strikes.add(float(k))
            k += step
    return sorted(strikes)


def _ramp(days_to_expiry: float) -> float:
    return math.exp(-max(0.0, days_to_expiry) / _BUILDUP_DAYS)


def expiry_total_oi(seed: int, asset: str, expiry: dt.datetime, day: dt.date) -> float:
    """All-venue open interest (coins) of one expiry at the close of `day`."""
    snap = snapshot_time(day)
    tte = (expiry - snap).total_seconds() / 86400
    if expiry == FRIDAY_EXPIRY:  # pinned: the headline figure of the demo
        ref = (FRIDAY_EXPIRY - snapshot_time(TARGET_DAY)).total_seconds() / 86400
        return FRIDAY_TARGET_OI[asset] * _ramp(tte) / _ramp(ref)
    peak = PEAK_OI[asset][expiry_category(expiry)]
    return peak * _ramp(tte) * (1.0 + 0.04 * rng.normal(seed, "expiry-oi", asset, expiry, day))


def venue_shares(seed: int, asset: str, expiry: dt.datetime) -> dict[str, float]:
    raw = {v: s * math.exp(0.1 * rng.normal(seed, "option-share", v, asset, expiry))
           for v, s in OPTION_VENUE_SHARE.items()}
    total = sum(raw.values())
    return {v: x / total for v, x in raw.items()}


def _strike_weight(seed: int, venue: str, asset: str, expiry: dt.datetime, strike: float, kind: str,
                   centre: float) -> float:
    m = math.log(strike / centre)
    if kind == "C":
        w = math.exp(-0.5 * ((m - 0.07) / 0.09) ** 2)
    else:
        w = 0.75 * math.exp(-0.5 * ((m + 0.08) / 0.08) ** 2)
    round_unit = 10_000 if asset == "BTC" else 500
    if strike % round_unit == 0:
        w *= 1.8
    elif strike % (round_unit / 2) == 0:
        w *= 1.3
    return w * math.exp(0.25 * rng.normal(seed, "strike-oi", venue, asset, expiry, strike, kind))


@lru_cache(maxsize=64)
def option_chain(seed: int, venue: str, asset: str, day: dt.date) -> tuple[OptionInstrument, ...]:
    """Every listed option of a venue/asset at the close of `day`, by expiry, strike, call before put."""
    if venue not in OPTION_VENUE_SHARE:
        return ()
    lot = OI_LOT[venue][asset]
    out: list[OptionInstrument] = []
    for expiry, category in listed_expiries(venue, day):
        listed = listing_time(expiry, category)
        centre = day_open_price(seed, asset, listed.date())
        strikes = strike_grid(asset, category, centre)
        total = expiry_total_oi(seed, asset, expiry, day) * venue_shares(seed, asset, expiry)[venue]
        cells = [(k, kind, _strike_weight(seed, venue, asset, expiry, k, kind, centre))
                 for k in strikes for kind in ("C", "P")]
        wsum = sum(w for _, _, w in cells)
        for k, kind, w in cells:
            oi = round(round(total * w / wsum / lot) * lot, 6)
            out.append(OptionInstrument(venue, asset, expiry, k, kind, category, listed, oi))
    return tuple(out)


def option_chain_at(seed: int, venue: str, asset: str, now_ms: int) -> list[OptionInstrument]:
    """What a snapshot endpoint shows at `now`: the last closed day's chain, without expired options."""
    day = day_of(now_ms) - dt.timedelta(days=1)
    return [i for i in option_chain(seed, venue, asset, day) if i.expiry_ms > now_ms]


def expiry_open_interest(seed: int, asset: str, expiry: dt.datetime, day: dt.date,
                         venues=OPTION_VENUES) -> float:
    """Sum of instrument open interest (coins, after lot rounding) of one expiry over venues."""
    return sum(i.open_interest for v in venues for i in option_chain(seed, v, asset, day) if i.expiry == expiry)


def pain_curve(seed: int, asset: str, expiry: dt.datetime, day: dt.date, venues=OPTION_VENUES) -> dict[float, float]:
    """USD paid to option holders if the expiry settled at each listed strike."""
    calls: dict[float, float] = {}
    puts: dict[float, float] = {}
    for v in venues:
        for i in option_chain(seed, v, asset, day):
            if i.expiry == expiry:
                book = calls if i.kind == "C" else puts
                book[i.strike] = book.get(i.strike, 0.0) + i.open_interest
    strikes = sorted(set(calls) | set(puts))
    return {p: sum(oi * max(p - k, 0.0) for k, oi in calls.items()) + sum(oi * max(k - p, 0.0) for k, oi in puts.items())
            for p in strikes}


def max_pain(seed: int, asset: str, expiry: dt.datetime, day: dt.date, venues=None) -> float | None:
    """The strike at which holders of the expiry would be paid least (None if nothing is listed)."""
    curve = pain_curve(seed, asset, expiry, day, venues or OPTION_VENUES)
    return min(curve, key=curve.get) if curve else None


# --- marks (for summary / ticker endpoints) ---------------------------------------------------------------
def _ncdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def implied_vol(asset: str, strike: float, forward: float, t_ms: int) -> float:
    """A put-skewed smile that jumps on the squeeze day and relaxes after it."""
    m = math.log(strike / forward)
    iv = BASE_IV[asset] * (1.0 + 0.6 * m * m) - 0.15 * m
    days_after = (day_of(t_ms) - SQUEEZE_DAY).days
    bump = 0.12 * squeeze_progress(t_ms) * (max(0.0, 1.0 - 0.2 * days_after) if days_after > 0 else 1.0)
    return max(0.15, iv + bump)


def option_mark(seed: int, asset: str, strike: float, kind: str, expiry: dt.datetime, t_ms: int) -> dict:
    """Black-76 mark of one option at t: iv, price in USD and in coin, delta, underlying."""
    forward = index_price(seed, asset, t_ms)
    years = max((to_ms(expiry) - t_ms) / (365.0 * MS_DAY), 1.0 / (365 * 24))
    iv = implied_vol(asset, strike, forward, t_ms)
    sd = iv * math.sqrt(years)
    d1 = (math.log(forward / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    if kind == "C":
        usd, delta = forward * _ncdf(d1) - strike * _ncdf(d2), _ncdf(d1)
    else:
        usd, delta = strike * _ncdf(-d2) - forward * _ncdf(-d1), _ncdf(d1) - 1.0
    return {"iv": iv, "usd": max(usd, 0.0), "coin": max(usd, 0.0) / forward, "delta": delta, "underlying": forward}
