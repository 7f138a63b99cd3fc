"""The demo warehouse's websocket liquidations: every demo day of every streamed venue, every hour
covered, each event once, and the figures those of the simulated market the sandbox streamed."""
from __future__ import annotations

import datetime as dt

import pytest

from sandbox.market import ASSETS, demo_days, liquidations
from tests.e2e.bitmex_quanto import bitmex_eth_bounds, exact

pytestmark = pytest.mark.slow
STREAMED = ("binance", "bybit", "bitmex")  # the venues that publish liquidations only on websockets
SEED = 7


def _truth(venue: str, asset: str, day: dt.date) -> tuple[int, float, float]:
    events = liquidations(SEED, venue, asset, day)
    return len(events), sum(e.usd for e in events), sum(e.usd for e in events if e.side == "long")


@pytest.mark.parametrize("venue", STREAMED)
def test_every_demo_day_has_the_streamed_liquidations(demo_db, venue):
    rows = {(d, a): (n, usd, longs) for d, a, n, usd, longs in demo_db.execute(f"""
        select cast(liquidated_at as date), asset, count(*), sum(notional_usd),
               sum(case when side = 'long' then notional_usd else 0 end)
        from staging.stg_{venue}__liquidations_ws group by 1, 2""").fetchall()}
    for day in demo_days():
        for asset in ASSETS:
            n, usd, longs = rows[(day, asset)]
            t_n, t_usd, t_longs = _truth(venue, asset, day)
            assert n == t_n, (venue, asset, day)
            if exact(venue, asset):
                # BitMEX's XBTUSD goes through whole lots of 100 USD: within 1e-3 of a day
                rel = 1e-3 if venue == "bitmex" else 1e-6
                assert usd == pytest.approx(t_usd, rel=rel), (venue, asset, day)
                assert longs == pytest.approx(t_longs, rel=rel, abs=1.0), (venue, asset, day)
            else:  # the quanto, priced through the XBTUSD liquidation its receipt time finds (tests/e2e/bitmex_quanto.py)
                low, high = bitmex_eth_bounds(day)
                assert low <= usd <= high, (venue, asset, day, low, usd, high)
                low, high = bitmex_eth_bounds(day, "long")
                assert low <= longs <= high, (venue, asset, day, low, longs, high)


def test_squeeze_day_is_mostly_longs_on_every_stream(demo_db):
    shares = demo_db.execute("""
        select exchange, sum(case when side = 'long' then notional_usd end) / sum(notional_usd)
        from (select * from staging.stg_binance__liquidations_ws union all
              select * from staging.stg_bybit__liquidations_ws union all
              select * from staging.stg_bitmex__liquidations_ws)
        where cast(liquidated_at as date) = date '2026-11-26' group by 1""").fetchall()
    assert {e for e, _ in shares} == set(STREAMED)
    assert all(share > 0.9 for _, share in shares)


def test_every_hour_of_every_demo_day_was_heard_and_nothing_quarantined(demo_db):
    days = demo_days()
    heard = demo_db.execute("""
        select source, count(*) filter (where files > 0), count(*), sum(open_files)
        from staging.stg_stream__hours
        where dataset = 'liquidations_ws' and date between ? and ? group by 1""", [days[0], days[-1]]).fetchall()
    by_source = {s: (h, n, o) for s, h, n, o in heard}
    for venue in STREAMED:
        assert by_source[venue] == (24 * len(days), 24 * len(days), 0), venue
    assert demo_db.execute("select count(*) from staging.stg_stream__gaps").fetchone()[0] == 0
    assert demo_db.execute("select count(*) from raw.quarantine where dataset = 'liquidations_ws'").fetchone()[0] == 0


def test_each_message_landed_once_in_the_hour_it_arrived(demo_db):
    for venue in STREAMED:
        dupes = demo_db.execute(f"""select count(*) - count(distinct liquidation_id)
                                    from staging.stg_{venue}__liquidations_ws""").fetchone()[0]
        assert dupes == 0, venue
    # a message is filed by the hour it was received, never before the venue's own event time
    late = demo_db.execute("""
        select count(*) from raw.binance__liquidations_ws
        where received_at < epoch_ms(trade_time_ms) or _date <> cast(epoch_ms(trade_time_ms) as date)""").fetchone()[0]
    assert late == 0
