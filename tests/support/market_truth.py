"""What the demo's simulated market says happened, for end-to-end tests to hold the warehouse against.

Everything here is read from the sandbox's own model (sandbox.market, sandbox.chains.world) with the seed
the demo runs, never from the warehouse; the tolerances say what a venue's published data can carry.
"""
from __future__ import annotations

import datetime as dt
import math
from functools import cache

from sandbox import market as mk
from sandbox.chains import world

SEED = 7  # sandbox.harness.process.running_sandbox's default, which the demo uses
UTC = dt.UTC

# Decimals each venue prints a funding rate with (the sandbox answers as the venues document them):
# Binance "0.00010000" (8), Bybit up to 8, OKX fundingRate up to 10, BitMEX 6 (a JSON number), Deribit
# interest_1h unrounded (the model's 10), Hyperliquid up to 10.
RATE_DECIMALS = {"binance": 8, "bybit": 8, "okx": 10, "bitmex": 6, "deribit": 10, "hyperliquid": 10}
# The warehouse prices a day at its close from observations up to this far from it (dbt var
# price_close_tolerance_minutes, default 45): a kline close lands on the close, a snapshot at the run.
PRICE_WINDOW_MINUTES = 45
# Venues print index prices to the cent or finer: far below this, relative.
PRICE_PRINT_REL = 1e-5
# Contract sizes and printed decimals of open interest: far below this, relative (coins).
OI_REL = 1e-4


def close_of(day: dt.date) -> dt.datetime:
    """D+1 00:00 UTC: the instant a day's states (open interest, prices, balances) are taken at."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=UTC)


def close_ms(day: dt.date) -> int:
    return mk.to_ms(close_of(day))


def rate_tolerance(venue: str) -> float:
    """Half a unit of the last decimal the venue prints a funding rate with, plus float noise."""
    return 0.5 * 10 ** -RATE_DECIMALS[venue] + 1e-12


def annualized_tolerance(venue: str, interval_hours: float) -> float:
    return rate_tolerance(venue) * 24 / interval_hours * 365


@cache
def funding_day_events(venue: str, asset: str, day: dt.date) -> tuple[mk.FundingEvent, ...]:
    """The funding events that count for `day`, as each venue documents them: a settlement is a payment at
    its time (the day of its time); a Deribit record is the interest of the hour ending at its stamp (the
    day that hour lies in, so D 01:00 .. D+1 00:00)."""
    start = mk.day_start_ms(day)
    if venue == "deribit":
        return tuple(mk.funding_events(SEED, venue, asset, start + 1, start + mk.MS_DAY))
    return tuple(mk.funding_events(SEED, venue, asset, start, start + mk.MS_DAY - 1))


def funding_day_annualized(venue: str, asset: str, day: dt.date) -> float:
    """The venue's funding of the day on a yearly basis: its events' annualized rates, averaged."""
    events = funding_day_events(venue, asset, day)
    return math.fsum(e.annualized for e in events) / len(events)


def open_interest_at_close(venue: str, asset: str, day: dt.date) -> float:
    """One-sided open interest in coins at the day's close (the model moves it hourly, so a snapshot read
    at D+1 00:30 sees the same hour)."""
    return mk.open_interest(SEED, venue, asset, close_ms(day))


@cache
def index_band(asset: str, day: dt.date) -> tuple[float, float]:
    """Lowest and highest index price any observation the warehouse may price the close with can show:
    the model's index over the minutes within PRICE_WINDOW_MINUTES of the close, widened by print rounding."""
    at = close_ms(day)
    window = PRICE_WINDOW_MINUTES * mk.MS_MINUTE
    prices = [mk.index_price(SEED, asset, t) for t in range(at - window, at + window + 1, mk.MS_MINUTE)]
    return min(prices) * (1 - PRICE_PRINT_REL), max(prices) * (1 + PRICE_PRINT_REL)


def address_close(chain: str, address: str, day: dt.date, provider: str | None = None) -> float:
    """An address's balance at the day's close as a model provider reads it (the chain's first by default)."""
    return world.close(SEED, chain, address, day, provider or world.CANONICAL[chain])
