"""The simulated market tells the scenario's story, computed straight from sandbox.market/options/entities."""
from __future__ import annotations

import datetime as dt
import statistics

import pytest

from sandbox import entities
from sandbox import market as m
from sandbox import options as o

SEED = 7
ORDINARY = [d for d in m.demo_days() if (m.SQUEEZE_DAY - d).days > m.RUNUP_DAYS][-30:]


def test_scenario_calendar():
    days = m.demo_days()
    assert len(days) == 38 and days[0] == dt.date(2026, 10, 20) and days[-1] == m.SQUEEZE_DAY
    assert m.FRIDAY_EXPIRY.weekday() == 4 and m.FRIDAY_EXPIRY.hour == 8


@pytest.mark.parametrize("asset,target", [("BTC", 91_000), ("ETH", 435_000)])
def test_friday_expiry_open_interest(asset, target):
    total = o.expiry_open_interest(SEED, asset, m.FRIDAY_EXPIRY, m.SQUEEZE_DAY)
    assert total == pytest.approx(target, rel=0.005)
    deribit = o.expiry_open_interest(SEED, asset, m.FRIDAY_EXPIRY, m.SQUEEZE_DAY, venues=("deribit",))
    assert deribit / total > 0.5, "Deribit holds most of it"
    earlier = o.expiry_open_interest(SEED, asset, m.FRIDAY_EXPIRY, m.SQUEEZE_DAY - dt.timedelta(days=10))
    assert earlier < total, "open interest builds up into the expiry"


@pytest.mark.parametrize("asset", m.ASSETS)
def test_max_pain_is_a_single_strike(asset):
    curve = o.pain_curve(SEED, asset, m.FRIDAY_EXPIRY, m.SQUEEZE_DAY)
    best = min(curve.values())
    assert sum(1 for v in curve.values() if v <= best * 1.001) == 1
    pain = o.max_pain(SEED, asset, m.FRIDAY_EXPIRY, m.SQUEEZE_DAY)
    spot = m.index_price(SEED, asset, m.to_ms(m.DEFAULT_NOW))
    assert abs(pain / spot - 1) < 0.15


def test_option_chain_shape():
    chain = o.option_chain(SEED, "deribit", "BTC", m.SQUEEZE_DAY)
    categories = {i.category for i in chain}
    assert categories == {"daily", "weekly", "monthly", "quarterly"}
    assert len({i.name for i in chain}) == len(chain)
    friday = [i for i in chain if i.expiry == m.FRIDAY_EXPIRY]
    calls = sum(i.open_interest for i in friday if i.kind == "C")
    puts = sum(i.open_interest for i in friday if i.kind == "P")
    assert 0.4 < puts / calls < 0.95, "more calls than puts: a skewed book"
    assert o.instrument_name("okx", "BTC", m.FRIDAY_EXPIRY, 95000.0, "C") == "BTC-USD-261127-95000-C"
    assert o.instrument_name("binance", "ETH", m.FRIDAY_EXPIRY, 3300.0, "P") == "ETH-261127-3300-P"


def test_liquidations_squeeze_and_ordinary_days():
    squeeze = m.liquidation_summary(SEED, m.SQUEEZE_DAY)
    assert squeeze["long_share"] >= 0.95
    assert 1.3e9 < squeeze["total_usd"] < 1.7e9
    ordinary = [m.liquidation_summary(SEED, d) for d in ORDINARY]
    shares = [s["long_share"] for s in ordinary]
    assert len(shares) == 30 and 0.2 <= statistics.mean(shares) <= 0.4
    assert all(0.25 <= s <= 0.35 for s in shares)
    assert all(90e6 < s["total_usd"] < 320e6 for s in ordinary)


def test_liquidation_events():
    for venue in m.LIQUIDATION_VENUES:
        for asset in m.ASSETS:
            events = m.liquidations(SEED, venue, asset, dt.date(2026, 11, 10))
            assert 100 <= len(events) <= 400
            assert [e.time_ms for e in events] == sorted(e.time_ms for e in events)
            assert len({e.id for e in events}) == len(events) and len({e.seq for e in events}) == len(events)
            assert {e.side for e in events} == {"long", "short"}
            for e in events[:20]:
                idx = m.index_price(SEED, asset, e.time_ms)
                assert (e.price < idx) if e.side == "long" else (e.price > idx)
    bigger = m.liquidations(SEED, "binance", "BTC", dt.date(2026, 11, 10), scale=10)
    normal = m.liquidations(SEED, "binance", "BTC", dt.date(2026, 11, 10))
    assert len(bigger) == pytest.approx(10 * len(normal), rel=0.01)
    assert sum(e.usd for e in bigger) == pytest.approx(sum(e.usd for e in normal), rel=0.02)


def _annual(venue: str, asset: str, day: dt.date) -> float:
    start = m.day_start_ms(day)
    events = m.funding_events(SEED, venue, asset, start, start + m.MS_DAY - 1)
    return statistics.mean(e.annualized for e in events)


def test_funding_levels_and_intervals():
    for venue in m.PERP_VENUES:
        for asset in m.ASSETS:
            ordinary = statistics.mean(_annual(venue, asset, d) for d in ORDINARY)
            assert 0.10 <= ordinary <= 0.15, (venue, asset, ordinary)
            assert 0.35 <= _annual(venue, asset, m.SQUEEZE_DAY) <= 0.45
            assert _annual(venue, asset, m.SQUEEZE_DAY - dt.timedelta(days=4)) < _annual(venue, asset, m.SQUEEZE_DAY)
    spread = [_annual(v, "BTC", m.SQUEEZE_DAY) for v in m.PERP_VENUES]
    assert max(spread) - min(spread) < 0.04, "venues stay within a few % of each other"
    day = m.day_start_ms(m.SQUEEZE_DAY)
    counts = {(v, a): len(m.funding_times(v, a, day, day + m.MS_DAY - 1)) for v in m.PERP_VENUES for a in m.ASSETS}
    assert counts[("binance", "BTC")] == 3 and counts[("binance", "ETH")] == 6
    assert counts[("deribit", "BTC")] == 24 and counts[("hyperliquid", "ETH")] == 24
    assert [m.from_ms(t).hour for t in m.funding_times("bitmex", "BTC", day, day + m.MS_DAY - 1)] == [4, 12, 20]


def test_prices_and_open_interest():
    for asset, base in m.BASE_PRICE.items():
        for d in m.demo_days():
            assert 0.8 * base < m.day_open_price(SEED, asset, d) < 1.2 * base
        before = m.day_open_price(SEED, asset, m.SQUEEZE_DAY)
        after = m.day_open_price(SEED, asset, m.SQUEEZE_DAY + dt.timedelta(days=1))
        assert after / before == pytest.approx(1 - m.SQUEEZE_DROP[asset], abs=0.001)
    start = m.day_start_ms(m.SQUEEZE_DAY)
    for asset, (lo, hi) in {"BTC": (250e3, 300e3), "ETH": (2.25e6, 2.75e6)}.items():
        total = sum(m.open_interest(SEED, v, asset, start) for v in m.PERP_VENUES)
        close = sum(m.open_interest(SEED, v, asset, start + m.MS_DAY - 1) for v in m.PERP_VENUES)
        assert lo < total < hi
        assert 0.86 < close / total < 0.94, "about 10 % of open interest goes in the squeeze"


def test_entity_balances():
    first, last = m.DEMO_START, m.DEMO_END
    assert entities.entity_balance(SEED, "htx_tron_reserve", last) > entities.entity_balance(
        SEED, "htx_tron_reserve", first)
    assert entities.entity_balance(SEED, "ethereum_foundation", last) < entities.entity_balance(
        SEED, "ethereum_foundation", first)
    a = entities.DISPUTED_ADDRESS
    one, two = (entities.balance(SEED, "bitcoin", a, last, p) for p in entities.PROVIDERS["bitcoin"])
    assert one != two
    other = entities.ENTITIES["htx_tron_reserve"]["addresses"][0]
    assert len({entities.balance(SEED, "bitcoin", other, last, p) for p in entities.PROVIDERS["bitcoin"]}) == 1
    with pytest.raises(ValueError):
        entities.balance(SEED, "bitcoin", a, last, "etherscan")


def test_same_seed_same_numbers_other_seed_other_numbers():
    t = m.day_start_ms(dt.date(2026, 11, 3)) + 12345
    assert m.funding_rate(7, "okx", "BTC", m.day_start_ms(dt.date(2026, 11, 3))) == m.Market(7).funding_rate(
        "okx", "BTC", m.day_start_ms(dt.date(2026, 11, 3)))
    assert m.index_price(7, "BTC", t) != m.index_price(8, "BTC", t)
    assert m.liquidations(7, "okx", "ETH", dt.date(2026, 11, 3)) == m.liquidations(7, "okx", "ETH", dt.date(2026, 11, 3))
