"""`make demo`'s warehouse: liquidations of all five venues, both channels folded, and the long squeeze.

The scenario (sandbox.market) liquidates mostly shorts-and-longs at ~30% longs for weeks, then ~97% longs
on 2026-11-26. OKX and Deribit arrive over REST and the websocket, Binance, Bybit and BitMEX over the
websocket only (the collector replaying each day before its run).
"""
from __future__ import annotations

import datetime as dt

import pytest

from sandbox.harness.demo import DEMO_END, DEMO_START
from tests.e2e.bitmex_quanto import bitmex_eth_bounds, exact

pytestmark = pytest.mark.slow
VENUES = {"binance", "bybit", "okx", "deribit", "bitmex"}
REST_VENUES = {"okx", "deribit"}
SQUEEZE = dt.date(2026, 11, 26)
DAYS = [DEMO_START + dt.timedelta(days=i) for i in range((DEMO_END - DEMO_START).days + 1)]


def test_every_venue_reports_both_assets_every_day(demo_db):
    have = {(d, a, e) for d, a, e in demo_db.execute("""
        SELECT date, asset, exchange FROM marts.liquidations_daily_by_exchange WHERE events > 0""").fetchall()}
    missing = [(d, a, e) for d in DAYS for a in ("BTC", "ETH") for e in sorted(VENUES) if (d, a, e) not in have]
    assert not missing, missing[:10]
    daily = demo_db.execute("""SELECT date, asset, exchanges_reporting, exchanges_expected, sources
                               FROM marts.liquidations_daily WHERE date BETWEEN ? AND ?""",
                            [DEMO_START, DEMO_END]).fetchall()
    assert len(daily) == 2 * len(DAYS)
    assert all(r[2:] == (5, 5, "binance,bitmex,bybit,deribit,okx") for r in daily), daily[:3]


def test_rest_venues_watched_all_day_every_day(demo_db):
    short = demo_db.execute("""SELECT date, exchange, hours_covered FROM marts.liquidations_daily_by_exchange
                               WHERE exchange IN ('okx', 'deribit') AND date BETWEEN ? AND ? AND hours_covered < 24""",
                            [DEMO_START, DEMO_END]).fetchall()
    assert not short, short[:5]


def test_each_liquidation_once_across_channels(demo_db):
    """OKX and Deribit are read on both channels: the mart holds exactly the market's events of each day."""
    from sandbox.market import liquidations

    for day in (DEMO_START, SQUEEZE):
        for venue in sorted(REST_VENUES):
            for asset in ("BTC", "ETH"):
                want = len(liquidations(7, venue, asset, day))
                got = demo_db.execute("""SELECT count(*), count(DISTINCT liquidation_id) FROM marts.fct_liquidations
                                         WHERE exchange = ? AND asset = ? AND CAST(liquidated_at AS DATE) = ?""",
                                      [venue, asset, day]).fetchone()
                assert got == (want, want), (day, venue, asset, got, want)
    assert demo_db.execute("SELECT count(*) FROM intermediate.int_liquidations_rejected").fetchone()[0] == 0


def _check_venues(demo_db, day: dt.date, asset: str | None = None) -> None:
    from sandbox.market import liquidations

    assets = [asset] if asset else ["BTC", "ETH"]
    got = {(v, a): (total, long, n) for v, a, total, long, n in demo_db.execute("""
        SELECT exchange, asset, total_usd, long_usd, events FROM marts.liquidations_daily_by_exchange
        WHERE date = ?""", [day]).fetchall()}
    for venue in sorted(VENUES):
        for a in assets:
            events = liquidations(7, venue, a, day)
            total, long, n = got[(venue, a)]
            assert n == len(events), (day, venue, a)
            if exact(venue, a):
                # Deribit prints whole USD contracts: dollars round per trade, far below 1e-3 of a day
                assert total == pytest.approx(sum(e.usd for e in events), rel=1e-3), (day, venue, a)
                assert long == pytest.approx(sum(e.usd for e in events if e.side == "long"), rel=1e-3, abs=1.0), \
                    (day, venue, a)
            else:
                low, high = bitmex_eth_bounds(day)
                assert low <= total <= high, (day, venue, a, low, total, high)
                low, high = bitmex_eth_bounds(day, "long")
                assert low <= long <= high, (day, venue, a, low, long, high)


def test_totals_match_the_simulated_market(demo_db):
    """The squeeze day's USD per venue and asset, and its long share, against the market that generated them."""
    from sandbox.market import liquidation_summary

    _check_venues(demo_db, SQUEEZE)
    truth = liquidation_summary(7, SQUEEZE)
    long_usd, total = demo_db.execute("""SELECT sum(long_usd), sum(total_usd) FROM marts.liquidations_daily
                                         WHERE date = ?""", [SQUEEZE]).fetchone()
    # BitMEX ETH is about 3 % of the day: even at its bounds it moves the long share by under 1e-4
    assert long_usd / total == pytest.approx(truth["long_share"], abs=2e-3)


def test_every_days_total_and_long_ratio_are_the_markets(demo_db):
    """Each asset's day, venue by venue, against the market's own events (BitMEX ETH within the prices its
    conversion can borrow), and the day's long ratio from those same figures."""
    rows = demo_db.execute("""SELECT date, asset, total_usd, long_usd, long_ratio FROM marts.liquidations_daily
                              WHERE date BETWEEN ? AND ?""", [DEMO_START, DEMO_END]).fetchall()
    assert len(rows) == 2 * len(DAYS)
    for day, asset, total, long, ratio in rows:
        _check_venues(demo_db, day, asset)
        venues = demo_db.execute("""SELECT sum(total_usd), sum(long_usd) FROM marts.liquidations_daily_by_exchange
                                    WHERE date = ? AND asset = ?""", [day, asset]).fetchone()
        assert (total, long) == pytest.approx(venues, rel=1e-9), (day, asset)
        assert ratio == pytest.approx(long / total, abs=1e-9), (day, asset)


def test_the_long_squeeze_stands_out(demo_db):
    rows = demo_db.execute("""SELECT asset, long_ratio, long_ratio_30d_avg, is_one_sided
                              FROM marts.liquidations_daily WHERE date = ? ORDER BY asset""", [SQUEEZE]).fetchall()
    assert [r[0] for r in rows] == ["BTC", "ETH"]
    for asset, ratio, avg30, one_sided in rows:
        assert ratio >= 0.95, (asset, ratio)
        assert 0.2 <= avg30 <= 0.4, (asset, avg30)
        assert one_sided is True
    # the ordinary days before are neither one-sided nor far from their baseline
    ordinary = demo_db.execute("""SELECT count(*), max(long_ratio), min(long_ratio), bool_or(is_one_sided)
                                  FROM marts.liquidations_daily WHERE date BETWEEN ? AND ?""",
                               [DEMO_START, SQUEEZE - dt.timedelta(days=1)]).fetchone()
    assert ordinary[0] == 2 * (len(DAYS) - 1) and ordinary[1] < 0.5 and ordinary[2] > 0.1 and ordinary[3] is False


def test_baseline_needs_thirty_previous_days(demo_db):
    first_with, first_without = demo_db.execute("""
        SELECT min(date) FILTER (WHERE long_ratio_30d_avg IS NOT NULL),
               max(date) FILTER (WHERE long_ratio_30d_avg IS NULL)
        FROM marts.liquidations_daily WHERE date >= ?""", [DEMO_START]).fetchone()
    assert first_with == DEMO_START + dt.timedelta(days=30)
    assert first_without == DEMO_START + dt.timedelta(days=29)
