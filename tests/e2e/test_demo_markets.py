"""`make demo`'s warehouse: open interest, prices and option expiries against the simulated market.

The expected figures come from the sandbox's model (sandbox.market and sandbox.options with the demo's
seed, through tests/support/market_truth.py), never from the warehouse's own tables; the formulas that
tie one mart column to another are dbt tests on the marts.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from sandbox import market as mk
from sandbox import options as opt
from sandbox.harness.demo import DEMO_END, DEMO_START
from tests.support import market_truth as truth
from tests.support.market_truth import OI_REL, SEED, UTC, close_of

pytestmark = pytest.mark.slow
VENUES = {"binance", "bybit", "okx", "deribit", "bitmex", "hyperliquid"}
OPTION_VENUES = {"deribit", "okx", "bybit", "binance"}
DAYS = [DEMO_START + dt.timedelta(days=i) for i in range((DEMO_END - DEMO_START).days + 1)]
FRIDAY = dt.datetime(2026, 11, 27, 8, 0)


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


def test_usd_and_day_change_are_the_markets_at_the_close(demo_db):
    """Each venue's day in USD is the market's open interest times an index price the market showed near
    the close; its day change is the market's, in coins to contract rounding and in USD within both days'
    price bands. (oi_usd = oi_base x price_usd is a dbt test on the mart.)"""
    rows = demo_db.execute("""
        SELECT date, asset, exchange, oi_usd, oi_change_24h_pct, oi_base_change_24h_pct
        FROM marts.open_interest_daily WHERE date BETWEEN ? AND ?""", [DEMO_START, DEMO_END]).fetchall()
    assert len(rows) == 2 * len(VENUES) * len(DAYS)
    for day, asset, exchange, oi_usd, pct, base_pct in rows:
        coins = truth.open_interest_at_close(exchange, asset, day)
        lo, hi = truth.index_band(asset, day)
        assert coins * lo * (1 - OI_REL) <= oi_usd <= coins * hi * (1 + OI_REL), (day, asset, exchange)
        if day == DEMO_START:  # the day before was never read
            continue
        prev = day - dt.timedelta(days=1)
        prev_coins = truth.open_interest_at_close(exchange, asset, prev)
        prev_lo, prev_hi = truth.index_band(asset, prev)
        assert base_pct == pytest.approx(coins / prev_coins - 1, abs=3 * OI_REL), (day, asset, exchange)
        slack = 3 * OI_REL
        assert coins * lo / (prev_coins * prev_hi) - 1 - slack <= pct <= coins * hi / (prev_coins * prev_lo) - 1 + slack


def test_daily_totals_are_the_whole_markets(demo_db):
    """All venues together: the market's open interest summed over its six venues, like for like."""
    rows = demo_db.execute("""
        SELECT date, asset, oi_base, oi_usd, oi_change_24h_pct FROM marts.open_interest_daily_total
        WHERE date BETWEEN ? AND ?""", [DEMO_START, DEMO_END]).fetchall()
    assert len(rows) == 2 * len(DAYS)
    for day, asset, oi_base, oi_usd, pct in rows:
        coins = sum(truth.open_interest_at_close(v, asset, day) for v in VENUES)
        lo, hi = truth.index_band(asset, day)
        assert oi_base == pytest.approx(coins, rel=OI_REL), (day, asset)
        assert coins * lo * (1 - OI_REL) <= oi_usd <= coins * hi * (1 + OI_REL), (day, asset)
        if day > DEMO_START:
            prev = day - dt.timedelta(days=1)
            prev_coins = sum(truth.open_interest_at_close(v, asset, prev) for v in VENUES)
            prev_lo, prev_hi = truth.index_band(asset, prev)
            slack = 3 * OI_REL
            assert coins * lo / (prev_coins * prev_hi) - 1 - slack <= pct <= coins * hi / (prev_coins * prev_lo) - 1 + slack
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
    # a perpetual's mark sits above the index by its funding premium (at most FUNDING_PEAK / 1095) and a wobble
    premium = mk.FUNDING_PEAK / (3 * 365) + 3e-4
    for day, asset, index, mark, sources, deviation in rows:
        assert sources >= 2, (day, asset, sources)
        lo, hi = truth.index_band(asset, day)
        assert lo <= index <= hi, (day, asset)
        assert lo * (1 - premium) <= mark <= hi * (1 + premium), (day, asset)
        assert deviation < 0.01


def test_option_snapshots_from_all_four_venues_every_day(demo_db):
    have = set(demo_db.execute("SELECT DISTINCT snapshot_date, asset, exchange FROM marts.options_expiries").fetchall())
    missing = [(d, a, v) for d in DAYS for a in ("BTC", "ETH") for v in OPTION_VENUES if (d, a, v) not in have]
    assert not missing, missing[:10]


def test_friday_expiry_is_the_next_one_on_the_squeeze_day(demo_db):
    rows = demo_db.execute("""
        SELECT asset, expiry, total_oi, is_next_expiry, exchanges_reporting, days_to_expiry
        FROM marts.options_expiries_total WHERE snapshot_date = ? ORDER BY asset, expiry""", [DEMO_END]).fetchall()
    for asset in ("BTC", "ETH"):
        mine = [r for r in rows if r[0] == asset]
        nxt = [r for r in mine if r[3]]
        assert len(nxt) == 1 and nxt[0][1] == FRIDAY, (asset, nxt)
        assert nxt[0][2] == pytest.approx(opt.expiry_open_interest(SEED, asset, mk.FRIDAY_EXPIRY, DEMO_END), abs=1e-6)
        assert nxt[0][2] == pytest.approx(opt.FRIDAY_TARGET_OI[asset], rel=0.01)  # the scenario's pinned figure
        assert nxt[0][4] == 4 and nxt[0][5] == pytest.approx(8 / 24, abs=1e-6)
        assert mine[0][1] == FRIDAY  # nothing listed expires between the close and Friday 08:00


def _listed(day: dt.date, venues) -> dict[tuple, dict]:
    """The sandbox's chains at the day's close, per (asset, expiry): calls, puts (coins) and strikes listed."""
    out: dict[tuple, dict] = defaultdict(lambda: {"C": 0.0, "P": 0.0, "strikes": set()})
    for venue in venues:
        for asset in ("BTC", "ETH"):
            for i in opt.option_chain(SEED, venue, asset, day):
                if i.expiry > close_of(day):
                    book = out[(asset, i.expiry)]
                    book[i.kind] += i.open_interest
                    book["strikes"].add(i.strike)
    return out


@pytest.mark.parametrize("day", [DEMO_START, DEMO_START + dt.timedelta(days=19), DEMO_END - dt.timedelta(days=1), DEMO_END])
def test_max_pain_and_put_call_are_the_listed_chains(demo_db, day):
    """Per venue and over all four: the expiries listed at the close, their calls, puts and strikes, and the
    sandbox's own max pain of each (sandbox.options.max_pain over those venues)."""
    venue_rows = demo_db.execute("""
        SELECT asset, exchange, expiry, call_oi, put_oi, put_call_ratio, max_pain_strike, strikes
        FROM marts.options_expiries WHERE snapshot_date = ?""", [day]).fetchall()
    listed = {venue: _listed(day, [venue]) for venue in OPTION_VENUES}
    assert {(a, e, x) for a, e, x, *_ in venue_rows} == {
        (a, v, x.replace(tzinfo=None)) for v, books in listed.items() for a, x in books}
    for asset, exchange, expiry, call_oi, put_oi, pcr, max_pain, strikes in venue_rows:
        expiry = expiry.replace(tzinfo=UTC)
        want = listed[exchange][(asset, expiry)]
        assert max_pain == opt.max_pain(SEED, asset, expiry, day, [exchange]), (asset, exchange, expiry)
        assert strikes == len(want["strikes"]), (asset, exchange, expiry)
        assert call_oi == pytest.approx(want["C"], abs=1e-6) and put_oi == pytest.approx(want["P"], abs=1e-6)
        assert pcr == (None if not want["C"] else pytest.approx(want["P"] / want["C"], rel=1e-8))
    total_rows = demo_db.execute("""
        SELECT asset, expiry, total_oi, put_call_ratio, max_pain_strike FROM marts.options_expiries_total
        WHERE snapshot_date = ?""", [day]).fetchall()
    merged = _listed(day, OPTION_VENUES)
    assert {(a, x.replace(tzinfo=UTC)) for a, x, *_ in total_rows} == set(merged)
    for asset, expiry, total, pcr, max_pain in total_rows:
        expiry = expiry.replace(tzinfo=UTC)
        want = merged[(asset, expiry)]
        assert max_pain == opt.max_pain(SEED, asset, expiry, day), (asset, expiry)
        assert total == pytest.approx(opt.expiry_open_interest(SEED, asset, expiry, day), abs=1e-6)
        assert pcr == pytest.approx(want["P"] / want["C"], rel=1e-8)


def test_oi_weighted_funding_is_the_markets_weighted_by_its_open_interest(demo_db):
    """Each day's cross-venue funding is the market's: the venues' funding of the day (their settled events)
    weighted by their open interest at the close, within the coarsest venue's rate decimals; the plain
    mean, lowest and highest likewise. One USD price per asset and day scales every weight alike, so coins
    weigh as dollars do."""
    rows = demo_db.execute("""
        SELECT date, asset, oi_weighted_annualized_rate, simple_avg_annualized_rate, min_annualized_rate,
               max_annualized_rate, exchanges_reporting, exchanges_weighted FROM marts.funding_daily_total
        WHERE date BETWEEN ? AND ?""", [DEMO_START, DEMO_END]).fetchall()
    assert len(rows) == 2 * len(DAYS)
    for day, asset, weighted, simple, lo, hi, reporting, weights in rows:
        rates = {v: truth.funding_day_annualized(v, asset, day) for v in VENUES}
        oi = {v: truth.open_interest_at_close(v, asset, day) for v in VENUES}
        tolerance = max(truth.annualized_tolerance(v, truth.funding_day_events(v, asset, day)[0].interval_hours)
                        for v in VENUES)
        spread = max(rates.values()) - min(rates.values())
        want = sum(rates[v] * oi[v] for v in VENUES) / sum(oi.values())
        assert weighted == pytest.approx(want, abs=tolerance + 2 * OI_REL * spread), (day, asset)
        assert simple == pytest.approx(sum(rates.values()) / len(rates), abs=tolerance), (day, asset)
        assert lo == pytest.approx(min(rates.values()), abs=tolerance), (day, asset)
        assert hi == pytest.approx(max(rates.values()), abs=tolerance), (day, asset)
        assert reporting == weights == len(VENUES), (day, asset)
    squeeze = dict(demo_db.execute("SELECT asset, oi_weighted_annualized_rate FROM marts.funding_daily_total "
                                   "WHERE date = ?", [mk.SQUEEZE_DAY]).fetchall())
    assert all(0.33 < squeeze[a] < 0.47 for a in ("BTC", "ETH")), squeeze  # near the scenario's 40 %
