"""Hyperliquid l2Book {coin}: the top of the book around the mark, with the venue's `time`.

Five levels a side, one tick apart, sizes drawn per minute so repeated asks within a minute agree.
"""
from __future__ import annotations

from aiohttp import web

from sandbox import rng
from sandbox.market import ASSETS, MS_MINUTE
from sandbox.venues._common import json_response, market, now_ms, trim

NAME = "hyperliquid"
TICK = {"BTC": 1.0, "ETH": 0.1}
LEVELS = 5


def l2_book(request: web.Request, body: dict) -> web.Response:
    coin = body.get("coin")
    if not isinstance(coin, str):
        from sandbox.venues.hyperliquid import _reject

        return _reject("missing field `coin`")
    if coin not in ASSETS:
        return json_response(None)
    m, now = market(request), now_ms(request)
    tick, dp = TICK[coin], 0 if coin == "BTC" else 1
    mid = round(m.mark_price(coin, now, NAME) / tick) * tick
    minute = now // MS_MINUTE

    def level(side: str, i: int) -> dict:
        px = mid - (i + 1) * tick if side == "bid" else mid + (i + 1) * tick
        size = 0.05 + 5 * rng.uniform(m.seed, "hl-book", coin, side, i, minute)
        n = 1 + int(12 * rng.uniform(m.seed, "hl-book-n", coin, side, i, minute))
        return {"px": trim(px, dp), "sz": trim(size, 5 if coin == "BTC" else 4), "n": n}

    return json_response({"coin": coin, "time": now,
                          "levels": [[level("bid", i) for i in range(LEVELS)], [level("ask", i) for i in range(LEVELS)]]})
