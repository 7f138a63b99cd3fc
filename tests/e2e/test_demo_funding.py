"""`make demo`'s warehouse: funding from every venue, every asset, every demo day, against the rates the
simulated market settled (sandbox.market with the demo's seed)."""
from __future__ import annotations

import datetime as dt

import pytest

from sandbox import market as mk
from sandbox.harness.demo import DEMO_END, DEMO_START
from tests.e2e import demo_build
from tests.support.market_truth import (
    UTC,
    annualized_tolerance,
    funding_day_annualized,
    funding_day_events,
    rate_tolerance,
)

pytestmark = pytest.mark.slow
VENUES = {"binance", "bybit", "okx", "deribit", "bitmex", "hyperliquid"}
ASSETS = ("BTC", "ETH")
DAYS = [DEMO_START + dt.timedelta(days=i) for i in range((DEMO_END - DEMO_START).days + 1)]


def test_demo_prints_outputs_and_wall_time(demo_dir):
    out = demo_build.paths(demo_dir.parent.parent)[1].read_text()  # what `make demo` printed
    assert "warehouse :" in out and "snapshot  :" in out and "demo wall time:" in out
    assert (demo_dir / "snapshot" / "marts.duckdb").exists()


def test_funding_daily_has_every_venue_asset_and_day(demo_db):
    rows = demo_db.execute("SELECT date, asset, exchange FROM marts.funding_daily").fetchall()
    have = {(d, a, e) for d, a, e in rows}
    days = [DEMO_START + dt.timedelta(days=i) for i in range((DEMO_END - DEMO_START).days + 1)]
    missing = [(d, a, e) for d in days for a in ("BTC", "ETH") for e in VENUES if (d, a, e) not in have]
    assert not missing, missing[:10]


def test_observations_match_each_venue_interval(demo_db):
    # 8h venues settle 3 times a day, binance ETHUSDT every 4h (6), deribit and hyperliquid hourly (24).
    expected = {("binance", "BTC"): 3, ("binance", "ETH"): 6, ("bybit", "BTC"): 3, ("okx", "BTC"): 3,
                ("bitmex", "BTC"): 3, ("deribit", "BTC"): 24, ("hyperliquid", "ETH"): 24}
    day = DEMO_END - dt.timedelta(days=3)
    for (exchange, asset), n in expected.items():
        got = demo_db.execute("SELECT observations FROM marts.funding_daily WHERE date = ? AND exchange = ? AND asset = ?",
                              [day, exchange, asset]).fetchone()
        assert got == (n,), (exchange, asset, got)


def _demo_rows(demo_db, sql: str) -> list[tuple]:
    return demo_db.execute(sql, [DEMO_START, DEMO_END]).fetchall()


def test_every_event_is_the_markets_rate_to_the_venues_decimals(demo_db):
    """Each funding event of a demo day is one the market settled, at the rate it settled, to the decimals the
    venue prints; nothing missing, nothing extra. (rate x 24 / interval x 365 is a dbt test on the mart.)"""
    rows = _demo_rows(demo_db, """
        SELECT exchange, asset, funding_time, rate, interval_hours, annualized_rate, funding_date
        FROM marts.funding_rates WHERE funding_date BETWEEN ? AND ?""")
    truth = {(e.venue, e.asset, e.time_ms): (day, e) for day in DAYS for asset in ASSETS for venue in VENUES
             for e in funding_day_events(venue, asset, day)}
    got = {(x, a, mk.to_ms(t.replace(tzinfo=UTC))): row for x, a, t, *row in rows}
    assert len(got) == len(rows)
    missing, extra = sorted(set(truth) - set(got)), sorted(set(got) - set(truth))
    assert not missing and not extra, (missing[:5], extra[:5])
    for key, (rate, interval, annualized, funding_date) in got.items():
        day, event = truth[key]
        venue = key[0]
        assert (funding_date, interval) == (day, event.interval_hours), key
        assert rate == pytest.approx(event.rate, abs=rate_tolerance(venue)), key
        assert annualized == pytest.approx(event.annualized, abs=annualized_tolerance(venue, interval)), key


def test_each_venues_day_is_the_markets_funding_of_that_day(demo_db):
    """funding_daily: every venue's day on a yearly basis, as the market paid it over that day's events."""
    rows = _demo_rows(demo_db, """
        SELECT date, asset, exchange, annualized_rate, observations FROM marts.funding_daily
        WHERE date BETWEEN ? AND ?""")
    assert len(rows) == len(DAYS) * len(ASSETS) * len(VENUES)
    for day, asset, venue, annualized, n in rows:
        events = funding_day_events(venue, asset, day)
        assert n == len(events), (day, asset, venue)
        tolerance = annualized_tolerance(venue, events[0].interval_hours)
        assert annualized == pytest.approx(funding_day_annualized(venue, asset, day), abs=tolerance), (day, asset, venue)


def test_funding_is_ordinary_until_it_climbs_to_the_squeeze(demo_db):
    """The scenario: ordinary days pay 10-15 % a year (give or take a venue's bias of up to 1 % and the
    hour's noise), every venue near 40 % on the squeeze day."""
    by_day = {(d, a): (lo, hi) for d, a, lo, hi in demo_db.execute("""
        SELECT date, asset, min(annualized_rate), max(annualized_rate) FROM marts.funding_daily
        WHERE date BETWEEN ? AND ? GROUP BY ALL""", [DEMO_START, DEMO_END]).fetchall()}
    ordinary = [d for d in DAYS if (mk.SQUEEZE_DAY - d).days >= mk.RUNUP_DAYS]
    lo, hi = mk.FUNDING_ORDINARY
    assert all(lo - 0.03 < by_day[(d, a)][0] <= by_day[(d, a)][1] < hi + 0.03 for d in ordinary for a in ASSETS)
    assert all(mk.FUNDING_PEAK - 0.05 < by_day[(mk.SQUEEZE_DAY, a)][0] for a in ASSETS), by_day


def test_deribit_days_are_the_hours_that_accrued_in_them(demo_db):
    # Deribit stamps an hour's record at its end: D's records are D 01:00 .. D+1 00:00 (funding_date).
    stamps = demo_db.execute("""
        SELECT min(funding_time), max(funding_time), count(*) FROM marts.funding_rates
        WHERE exchange = 'deribit' AND asset = 'BTC' AND funding_date = ?""", [DEMO_END]).fetchone()
    close = dt.datetime.combine(DEMO_END + dt.timedelta(days=1), dt.time())
    assert stamps == (close - dt.timedelta(hours=23), close, 24)


def test_raw_responses_are_kept(demo_dir):
    files = list((demo_dir / "landing" / "source=okx" / "dataset=funding_rates").rglob("*.ndjson.gz"))
    assert files, "landed OKX responses"
