"""`make demo`'s warehouse: open interest, prices and option expiries against the simulated market.

The expected figures are computed here, in Python, from the sandbox's model (sandbox.market and
sandbox.options with the demo's seed), never from the warehouse's own intermediate tables.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from sandbox import market as mk
from sandbox import options as opt
from sandbox.harness.demo import DEMO_END, DEMO_START

pytestmark = pytest.mark.slow
SEED = 7  # sandbox.harness.process.running_sandbox's default, which the demo uses
UTC = dt.UTC
VENUES = {"binance", "bybit", "okx", "deribit", "bitmex", "hyperliquid"}
OPTION_VENUES = {"deribit", "okx", "bybit", "binance"}
DAYS = [DEMO_START + dt.timedelta(days=i) for i in range((DEMO_END - DEMO_START).days + 1)]
FRIDAY = dt.datetime(2026, 11, 27, 8, 0)


def close_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=UTC)


def test_open_interest_from_every_venue_on_every_day(demo_db):
    rows = demo_db.execute("""
        SELECT date, asset, exchange FROM marts.open_interest_daily
        WHERE oi_usd IS NOT NULL AND NOT is_stale""").fetchall()
    have = set(rows)
    missing = [(d, a, e) for d in DAYS for a in ("BTC", "ETH") for e in VENUES if (d, a, e) not in have]
    assert not missing, missing[:10]
    totals = demo_db.execute("""
        SELECT date, asset, exchanges_reporting, exchanges_expected FROM marts.open_interest_daily_total
        WHERE date BETWEEN ? AND ?""", [DEMO_START, DEMO_END]).fetchall()
    assert len(totals) == 2 * len(DAYS)
    assert all(r[2] == r[3] == 6 for r in totals), [r for r in totals if r[2] != 6][:5]


def test_open_interest_in_coins_matches_the_market_at_the_observed_time(demo_db):
    # The market's open interest is one-sided coins; every venue's contracts, USD or both-sides figure
    # must come back to it (contract rounding is far below 1e-4).
    worst = []
    for day, asset, exchange, oi_base, observed_at in demo_db.execute("""
            SELECT date, asset, exchange, oi_base, observed_at FROM marts.open_interest_daily
            WHERE date BETWEEN ? AND ?""", [DEMO_START, DEMO_END]).fetchall():
        truth = mk.open_interest(SEED, exchange, asset, mk.to_ms(observed_at.replace(tzinfo=UTC)))
        worst.append((abs(oi_base / truth - 1), day, asset, exchange))
    assert len(worst) == 2 * 6 * len(DAYS)
    assert max(worst)[0] < 1e-4, sorted(worst)[-3:]


def test_history_venues_read_the_close_and_snapshots_the_run(demo_db):
    rows = demo_db.execute("""
        SELECT exchange, method, min(observed_at - CAST(date + 1 AS TIMESTAMP)), max(observed_at - CAST(date + 1 AS TIMESTAMP))
        FROM marts.open_interest_daily WHERE date BETWEEN ? AND ? GROUP BY ALL""", [DEMO_START, DEMO_END]).fetchall()
    for exchange, method, lo, hi in rows:
        if exchange in ("binance", "bybit", "okx"):
            assert method == "history" and lo == hi == dt.timedelta(0), (exchange, lo, hi)
        else:  # read by the run at D+1 00:30
            assert method == "snapshot" and lo == hi == dt.timedelta(minutes=30), (exchange, lo, hi)


def test_usd_and_day_change_follow_from_coins_and_close_price(demo_db):
    rows = demo_db.execute("""
        SELECT o.date, o.asset, o.exchange, o.oi_base, o.oi_usd, o.oi_change_24h_pct, p.price_usd
        FROM marts.open_interest_daily o JOIN marts.prices_daily p USING (date, asset)""").fetchall()
    usd = {(d, a, e): (b * px) for d, a, e, b, _, _, px in rows}
    for d, a, e, b, oi_usd, pct, px in rows:
        assert oi_usd == pytest.approx(b * px, rel=1e-9, abs=0.01)
        prev = usd.get((d - dt.timedelta(days=1), a, e))
        if prev is None:
            assert pct is None
        else:
            assert pct == pytest.approx(b * px / prev - 1, abs=1e-8)
    # the squeeze: coins down ~10 % across the market, dollars down more with the price
    squeeze = dict(demo_db.execute("""
        SELECT asset, oi_change_24h_pct FROM marts.open_interest_daily_total WHERE date = ?""",
                                   [mk.SQUEEZE_DAY]).fetchall())
    assert squeeze["BTC"] < -0.12 and squeeze["ETH"] < -0.12, squeeze


def test_prices_have_two_venues_and_track_the_index(demo_db):
    rows = demo_db.execute("""
        SELECT date, asset, index_price_usd, mark_price_usd, source_count, max_deviation FROM marts.prices_daily
        WHERE date BETWEEN ? AND ?""", [DEMO_START, DEMO_END]).fetchall()
    assert len(rows) == 2 * len(DAYS)
    for day, asset, index, mark, sources, deviation in rows:
        assert sources >= 2, (day, asset, sources)
        truth = mk.index_price(SEED, asset, mk.to_ms(close_of(day)))
        assert index == pytest.approx(truth, rel=4e-3), (day, asset)
        assert mark == pytest.approx(truth, rel=5e-3), (day, asset)
        assert deviation < 0.01


def test_option_snapshots_from_all_four_venues_every_day(demo_db):
    have = set(demo_db.execute("SELECT DISTINCT snapshot_date, asset, exchange FROM marts.options_expiries").fetchall())
    missing = [(d, a, v) for d in DAYS for a in ("BTC", "ETH") for v in OPTION_VENUES if (d, a, v) not in have]
    assert not missing, missing[:10]


def test_friday_expiry_is_the_next_one_on_the_squeeze_day(demo_db):
    rows = demo_db.execute("""
        SELECT asset, expiry, total_oi, is_next_expiry, exchanges_reporting, days_to_expiry
        FROM marts.options_expiries_total WHERE snapshot_date = ? ORDER BY asset, expiry""", [DEMO_END]).fetchall()
    target = {"BTC": 91_000.0, "ETH": 435_000.0}
    for asset in ("BTC", "ETH"):
        mine = [r for r in rows if r[0] == asset]
        nxt = [r for r in mine if r[3]]
        assert len(nxt) == 1 and nxt[0][1] == FRIDAY, (asset, nxt)
        assert nxt[0][2] == pytest.approx(target[asset], rel=0.01)
        assert nxt[0][4] == 4 and nxt[0][5] == pytest.approx(8 / 24, abs=1e-6)
        assert mine[0][1] == FRIDAY  # nothing listed expires between the close and Friday 08:00


def _summary(chain):
    """Independent max pain and put/call over a list of (strike, kind, oi) in coins."""
    calls, puts = defaultdict(float), defaultdict(float)
    for strike, kind, oi in chain:
        (calls if kind == "C" else puts)[strike] += oi
        (puts if kind == "C" else calls)[strike] += 0.0  # a listed strike is a candidate either way
    strikes = sorted(set(calls) | set(puts))
    payout = {k: sum(oi * max(0.0, k - s) for s, oi in calls.items()) + sum(oi * max(0.0, s - k) for s, oi in puts.items())
              for k in strikes}
    best = min(strikes, key=lambda k: (payout[k], k))
    c, p = sum(calls.values()), sum(puts.values())
    return {"call": c, "put": p, "pcr": p / c if c else None, "max_pain": best, "strikes": len(strikes)}


@pytest.mark.parametrize("day", [DEMO_START, DEMO_START + dt.timedelta(days=19), DEMO_END - dt.timedelta(days=1), DEMO_END])
def test_max_pain_and_put_call_match_an_independent_computation(demo_db, day):
    close = close_of(day)
    by_venue: dict[tuple, list] = defaultdict(list)
    merged: dict[tuple, list] = defaultdict(list)
    for venue in OPTION_VENUES:
        for asset in ("BTC", "ETH"):
            for i in opt.option_chain(SEED, venue, asset, day):
                if i.expiry > close:
                    expiry = i.expiry.replace(tzinfo=None)
                    by_venue[(asset, venue, expiry)].append((i.strike, i.kind, i.open_interest))
                    merged[(asset, expiry)].append((i.strike, i.kind, i.open_interest))
    venue_rows = demo_db.execute("""
        SELECT asset, exchange, expiry, call_oi, put_oi, put_call_ratio, max_pain_strike, strikes
        FROM marts.options_expiries WHERE snapshot_date = ?""", [day]).fetchall()
    assert {(a, e, x) for a, e, x, *_ in venue_rows} == set(by_venue)
    for asset, exchange, expiry, call_oi, put_oi, pcr, max_pain, strikes in venue_rows:
        want = _summary(by_venue[(asset, exchange, expiry)])
        assert (max_pain, strikes) == (want["max_pain"], want["strikes"]), (asset, exchange, expiry)
        assert call_oi == pytest.approx(want["call"], abs=1e-6) and put_oi == pytest.approx(want["put"], abs=1e-6)
        assert pcr == (None if want["pcr"] is None else pytest.approx(want["pcr"], rel=1e-8))
    total_rows = demo_db.execute("""
        SELECT asset, expiry, total_oi, put_call_ratio, max_pain_strike FROM marts.options_expiries_total
        WHERE snapshot_date = ?""", [day]).fetchall()
    assert {(a, x) for a, x, *_ in total_rows} == set(merged)
    for asset, expiry, total, pcr, max_pain in total_rows:
        want = _summary(merged[(asset, expiry)])
        assert max_pain == want["max_pain"], (asset, expiry)
        assert total == pytest.approx(want["call"] + want["put"], abs=1e-6)
        assert pcr == pytest.approx(want["pcr"], rel=1e-8)
        # the sandbox's own max pain agrees too
        assert max_pain == opt.max_pain(SEED, asset, expiry.replace(tzinfo=UTC), day)


def test_oi_weighted_funding_matches_an_independent_computation(demo_db):
    rates = defaultdict(dict)
    for d, a, e, r in demo_db.execute("SELECT date, asset, exchange, annualized_rate FROM marts.funding_daily").fetchall():
        rates[(d, a)][e] = r
    oi = {(d, a, e): u for d, a, e, u in demo_db.execute(
        "SELECT date, asset, exchange, oi_usd FROM marts.open_interest_daily").fetchall()}
    rows = demo_db.execute("""
        SELECT date, asset, oi_weighted_annualized_rate, simple_avg_annualized_rate, min_annualized_rate,
               max_annualized_rate, exchanges_reporting FROM marts.funding_daily_total""").fetchall()
    assert len(rows) == len(rates)
    for d, a, weighted, simple, lo, hi, n in rows:
        venue_rates = rates[(d, a)]
        pairs = [(r, oi[(d, a, e)]) for e, r in venue_rates.items() if oi.get((d, a, e))]
        want = sum(r * w for r, w in pairs) / sum(w for _, w in pairs) if pairs else None
        assert weighted == (None if want is None else pytest.approx(want, abs=1e-11)), (d, a)
        assert simple == pytest.approx(sum(venue_rates.values()) / len(venue_rates), abs=1e-11)
        assert (lo, hi, n) == (min(venue_rates.values()), max(venue_rates.values()), len(venue_rates))
    squeeze = dict(demo_db.execute("SELECT asset, oi_weighted_annualized_rate FROM marts.funding_daily_total "
                                   "WHERE date = ?", [mk.SQUEEZE_DAY]).fetchall())
    assert all(0.33 < squeeze[a] < 0.47 for a in ("BTC", "ETH")), squeeze  # near the scenario's 40 %
