"""Deribit market routes: perpetual tickers and book summaries (open interest snapshots).

public/ticker answers the state at `now` with its `timestamp`; a perpetual's open_interest is in USD
(whole contracts of 10 USD for BTC, 1 USD for ETH). public/get_book_summary_by_currency lists the options
(open_interest in coins) or, for kind=future, the perpetual: the dated futures are listed by
get_instruments but carry no simulated interest, so they are left out here.
"""
from __future__ import annotations

from aiohttp import web

from sandbox.market import ASSETS, MS_HOUR, perp_symbol
from sandbox.options import option_chain_at, option_mark
from sandbox.venues._common import market, now_ms
from sandbox.venues.deribit import CURRENCIES, KINDS, NAME, envelope, invalid

CONTRACT_USD = {"BTC": 10.0, "ETH": 1.0}


def _perp_state(request: web.Request, asset: str) -> dict:
    m, now = market(request), now_ms(request)
    mark = m.mark_price(asset, now, NAME)
    index = m.index_price(asset, now)
    size = CONTRACT_USD[asset]
    oi_usd = round(m.open_interest(NAME, asset, now) * mark / size) * size
    rate_8h = m.funding_rate(NAME, asset, now - now % MS_HOUR) * 8
    return {"now": now, "mark": round(mark, 2), "index": round(index, 2), "oi_usd": oi_usd, "funding_8h": rate_8h,
            "prev": round(m.index_price(asset, now - 24 * MS_HOUR), 2)}


async def ticker(request: web.Request) -> web.Response:
    name = request.query.get("instrument_name")
    if not name:
        return invalid(request, "instrument_name", "missing")
    asset = next((a for a in ASSETS if perp_symbol(NAME, a) == name), None)
    if asset is None:  # only the perpetuals' tickers are simulated
        return invalid(request, "instrument_name", "instrument not found")
    s = _perp_state(request, asset)
    mark = s["mark"]
    return envelope(request, {"result": {
        "timestamp": s["now"], "state": "open",
        "stats": {"volume_usd": 0.0, "volume": 0.0, "price_change": round((s["index"] / s["prev"] - 1) * 100, 4),
                  "low": min(s["prev"], mark), "high": max(s["prev"], mark)},
        "index_price": s["index"], "instrument_name": name, "last_price": mark, "settlement_price": s["prev"],
        "min_price": round(mark * 0.975, 2), "max_price": round(mark * 1.025, 2), "open_interest": s["oi_usd"],
        "mark_price": mark, "interest_value": 0.0, "best_ask_price": round(mark + 0.5, 2),
        "best_bid_price": round(mark - 0.5, 2), "estimated_delivery_price": s["index"],
        "best_ask_amount": 0.0, "best_bid_amount": 0.0, "current_funding": round(s["funding_8h"] / 8, 10),
        "funding_8h": round(s["funding_8h"], 10)}})


def _perp_summary(request: web.Request, asset: str) -> dict:
    s = _perp_state(request, asset)
    return {"volume_usd": 0.0, "volume": 0.0, "quote_currency": "USD", "price_change": 0.0,
            "open_interest": s["oi_usd"], "mid_price": s["mark"], "mark_price": s["mark"], "low": s["mark"],
            "last": s["mark"], "instrument_name": perp_symbol(NAME, asset), "high": s["mark"],
            "estimated_delivery_price": s["index"], "current_funding": round(s["funding_8h"] / 8, 10),
            "funding_8h": round(s["funding_8h"], 10), "creation_timestamp": s["now"], "bid_price": s["mark"],
            "base_currency": asset, "ask_price": s["mark"]}


def _option_summaries(request: web.Request, asset: str) -> list[dict]:
    m, now = market(request), now_ms(request)
    index = round(m.index_price(asset, now), 2)
    out = []
    for inst in option_chain_at(m.seed, NAME, asset, now):
        mark = option_mark(m.seed, asset, inst.strike, inst.kind, inst.expiry, now)
        out.append({"volume": 0.0, "underlying_price": round(mark["underlying"], 2),
                    "underlying_index": f"SYN.{inst.name.rsplit('-', 2)[0]}", "quote_currency": asset,
                    "price_change": None, "open_interest": inst.open_interest, "mid_price": None,
                    "mark_price": round(mark["coin"], 4), "mark_iv": round(mark["iv"] * 100, 2), "low": None,
                    "last": None, "interest_rate": 0.0, "instrument_name": inst.name, "high": None,
                    "estimated_delivery_price": index, "creation_timestamp": now, "bid_price": None,
                    "base_currency": asset, "ask_price": None})
    return out


async def book_summary_by_currency(request: web.Request) -> web.Response:
    q = request.query
    currency, kind = q.get("currency"), q.get("kind")
    if not currency:
        return invalid(request, "currency", "missing")
    if currency not in CURRENCIES:
        return invalid(request, "currency", "must be one of " + ", ".join(CURRENCIES))
    if kind is not None and kind not in KINDS:
        return invalid(request, "kind", "must be one of " + ", ".join(KINDS))
    result = []
    for asset in (a for a in ASSETS if currency in (a, "any")):
        if kind in (None, "future"):
            result.append(_perp_summary(request, asset))
        if kind in (None, "option"):
            result.extend(_option_summaries(request, asset))
    return envelope(request, {"result": result})


def register(app: web.Application) -> None:
    app.router.add_get("/api/v2/public/ticker", ticker)
    app.router.add_get("/api/v2/public/get_book_summary_by_currency", book_summary_by_currency)
