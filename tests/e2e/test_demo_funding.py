"""`make demo`'s warehouse: funding from every venue, every asset, every demo day."""
from __future__ import annotations

import datetime as dt

import pytest

from sandbox.harness.demo import DEMO_END, DEMO_START

pytestmark = pytest.mark.slow
VENUES = {"binance", "bybit", "okx", "deribit", "bitmex", "hyperliquid"}


def test_demo_prints_outputs_and_wall_time(demo_dir):
    out = (demo_dir / "demo_output.txt").read_text()
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


def test_annualized_rates_follow_the_formula(demo_db):
    bad = demo_db.execute("""
        SELECT count(*) FROM marts.funding_rates
        WHERE abs(annualized_rate - rate * 24 / interval_hours * 365) > 1e-11""").fetchone()[0]
    assert bad == 0
    # recompute funding_daily independently from the event mart
    diff = demo_db.execute("""
        WITH ind AS (
            SELECT funding_date AS date, asset, exchange,
                   sum(rate * 8 / interval_hours) / count(*) * 1095 AS ann
            FROM marts.funding_rates GROUP BY ALL)
        SELECT max(abs(ind.ann - d.annualized_rate)) FROM ind JOIN marts.funding_daily d USING (date, asset, exchange)
    """).fetchone()[0]
    assert diff < 1e-11


def test_deribit_days_are_the_hours_that_accrued_in_them(demo_db):
    # Deribit stamps an hour's record at its end: D's records are D 01:00 .. D+1 00:00 (funding_date).
    bad = demo_db.execute("""
        SELECT count(*) FROM marts.funding_rates
        WHERE exchange = 'deribit' AND funding_date <> cast(funding_time - INTERVAL 1 HOUR AS date)""").fetchone()[0]
    assert bad == 0
    stamps = demo_db.execute("""
        SELECT min(funding_time), max(funding_time) FROM marts.funding_rates
        WHERE exchange = 'deribit' AND asset = 'BTC' AND funding_date = ?""", [DEMO_END]).fetchone()
    close = dt.datetime.combine(DEMO_END + dt.timedelta(days=1), dt.time())
    assert stamps == (close - dt.timedelta(hours=23), close)


def test_raw_responses_are_kept(demo_dir):
    files = list((demo_dir / "landing" / "source=okx" / "dataset=funding_rates").rglob("*.ndjson.gz"))
    assert files, "landed OKX responses"
