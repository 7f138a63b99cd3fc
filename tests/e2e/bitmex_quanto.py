"""BitMEX's ETHUSD liquidations in the demo: what a test can hold them to.

BitMEX's ETHUSD is a quanto: its USD needs XBT/USD, which the staging model borrows from the nearest XBTUSD
liquidation by the collector's receipt time (BitMEX rows carry no time). The demo replays a day in 1.5 s
(57,600 x), so a message read 50 ms late is stamped 48 simulated minutes late, and a loaded machine stamps a
burst at its window's end (one CI run: median 51 min, at most 2.9 h): which XBT price is borrowed then
depends on the machine, not on the product, and on the squeeze day's moving price that moved BitMEX's ETH
USD 1.4 % off the market. Every other flow is the market's own to 1e-3; BitMEX ETH is held to the prices
the conversion can borrow (on an ordinary demo day about 1 % either side, on the squeeze day 4 to 6 %).
"""
from __future__ import annotations

import datetime as dt

SEED = 7  # the demo's market


def exact(venue: str, asset: str) -> bool:
    """Whether the venue's USD for the asset is the market's own (all but BitMEX ETH)."""
    return (venue, asset) != ("bitmex", "ETH")


def bitmex_eth_bounds(day: dt.date, side: str | None = None) -> tuple[float, float]:
    """The least and most BitMEX ETH USD of `day` (of its `side`'s events, 'long' or 'short', if given): each
    event's contracts x 1e-6 x its ETH price, times the lowest or highest XBTUSD liquidation price the
    conversion can borrow (the day's, or the day before's for an event that precedes the day's first)."""
    from sandbox.market import Market, liquidations
    from sandbox.streams.bitmex import QUANTO_XBT_PER_USD, contracts

    market = Market(SEED)
    xbt = [e.price for d in (day - dt.timedelta(days=1), day) for e in liquidations(SEED, "bitmex", "BTC", d)]
    base = sum(contracts(market, e) * QUANTO_XBT_PER_USD * e.price for e in liquidations(SEED, "bitmex", "ETH", day)
               if side is None or e.side == side)
    return base * min(xbt), base * max(xbt)
