"""BitMEX REST v1, mounted under /bitmex.

Table queries take symbol, startTime/endTime (ISO), count (default 100, at most 1000 here), start (row
offset) and reverse (newest first). Funding settles at 04:00, 12:00 and 20:00 UTC; rates are JSON numbers.
Errors are {"error": {"message", "name"}}.
"""
from __future__ import annotations

import datetime as dt
import json

from aiohttp import web

from ingest import contracts  # the documented limits: ingest/venues/<venue>/contract.yml, ingest/onchain/*.yml
from sandbox.market import ASSETS, MS_HOUR, funding_times, parse_time, perp_symbol, to_ms
from sandbox.venues._common import Reply, int_param, iso_ms, json_response, market, now_ms

NAME = "bitmex"
MAX_COUNT = contracts.max_limit("bitmex", "funding_rates")
LISTED = {"BTC": to_ms(dt.datetime(2016, 5, 13, 12, tzinfo=dt.UTC)),
          "ETH": to_ms(dt.datetime(2018, 8, 2, 12, tzinfo=dt.UTC))}
FUNDING_INTERVAL = "2000-01-01T08:00:00.000Z"


def error(message: str, name: str = "HTTPError", status: int = 400) -> web.Response:
    return json_response({"error": {"message": message, "name": name}}, status=status)


def throttled(request: web.Request, retry_after: float) -> web.Response:
    resp = error(f"Rate limit exceeded, retry in {int(retry_after)} seconds.", "RateLimitError", status=429)
    resp.headers.update({"Retry-After": str(int(retry_after)), "x-ratelimit-limit": str(contracts.per_minute("bitmex")),
                         "x-ratelimit-remaining": "0",
                         "x-ratelimit-reset": str(now_ms(request) // 1000 + int(retry_after))})
    return resp


def server_error(request: web.Request, status: int) -> web.Response:
    return error("Internal Server Error", status=status)


def _assets(symbol: str | None) -> list[str]:
    """Symbols are case-insensitive; a bare series (XBT, ETH) or series:perpetual means the perpetual."""
    if not symbol:
        return list(ASSETS)
    s = symbol.upper().replace(":PERPETUAL", "").replace(":NEAREST", "")
    return [a for a in ASSETS if s in (perp_symbol(NAME, a), "XBT" if a == "BTC" else a)]


def _time(q, name: str) -> int | None:
    if not q.get(name):
        return None
    try:
        return to_ms(parse_time(q[name]))
    except ValueError:
        raise Reply(error(f"Invalid {name}: {q[name]}", "ValidationError")) from None


def _paging(q) -> tuple[int, int, bool]:
    bad = lambda name: lambda: error(f"Invalid {name}", "ValidationError")  # noqa: E731
    count = int_param(q.get("count"), bad("count"))
    start = int_param(q.get("start"), bad("start")) or 0
    if count is not None and count < 1:
        raise Reply(error("count must be a positive integer", "ValidationError"))
    return min(count or 100, MAX_COUNT), max(start, 0), q.get("reverse", "false").lower() == "true"


def _filter(q) -> dict:
    if not q.get("filter"):
        return {}
    try:
        doc = json.loads(q["filter"])
    except ValueError:
        raise Reply(error("Invalid filter JSON", "ValidationError")) from None
    return doc if isinstance(doc, dict) else {}


async def funding(request: web.Request) -> web.Response:
    q = request.query
    count, start, reverse = _paging(q)
    flt = _filter(q)
    assets = _assets(q.get("symbol") or flt.get("symbol"))
    now = now_ms(request)
    lo, hi = _time(q, "startTime"), _time(q, "endTime")
    rows = []
    for asset in assets:
        a_lo = max(lo if lo is not None else 0, LISTED[asset])
        a_hi = min(hi if hi is not None else now, now)
        rows.extend((t, perp_symbol(NAME, asset), asset) for t in funding_times(NAME, asset, a_lo, a_hi))
    rows.sort(key=lambda r: (r[0], r[1]), reverse=reverse)
    m = market(request)
    out = []
    for t, symbol, asset in rows[start:start + count]:
        rate = round(m.funding_rate(NAME, asset, t), 6)
        out.append({"timestamp": iso_ms(t), "symbol": symbol, "fundingInterval": FUNDING_INTERVAL,
                    "fundingRate": rate, "fundingRateDaily": round(rate * 3, 6)})
    return json_response(out)


def _instrument(request: web.Request, asset: str) -> dict:
    m, now = market(request), now_ms(request)
    mark = round(m.mark_price(asset, now, NAME), 1 if asset == "BTC" else 2)
    index = round(m.index_price(asset, now), 2)
    oi_coins = m.open_interest(NAME, asset, now)
    btc = asset == "BTC"
    if btc:  # inverse: 1 contract = 1 USD, value in satoshi
        oi = round(oi_coins * mark)
        open_value = round(oi / mark * 1e8)
    else:  # quanto: 1 contract = 100 satoshi per USD of ETH price
        btc_price = m.index_price("BTC", now)
        oi = round(oi_coins / (100e-8 * btc_price))
        open_value = round(oi * mark * 100)
    step = 8 * MS_HOUR
    next_funding = min(funding_times(NAME, asset, now + 1, now + step))
    last_funding = max(funding_times(NAME, asset, now - step, now))
    symbol = perp_symbol(NAME, asset)
    root = "XBT" if btc else "ETH"
    return {
        "symbol": symbol, "rootSymbol": root, "state": "Open", "typ": "FFWCSX",
        "listing": iso_ms(LISTED[asset]), "front": iso_ms(LISTED[asset]), "expiry": None, "settle": None,
        "listedSettle": None, "positionCurrency": "USD" if btc else "", "underlying": root, "quoteCurrency": "USD",
        "underlyingSymbol": f"{root}=", "reference": "BMEX", "referenceSymbol": f".B{root}",
        "maxOrderQty": 10000000, "maxPrice": 10000000 if btc else 100000, "lotSize": 100 if btc else 1,
        "tickSize": 0.1 if btc else 0.01, "multiplier": -100000000 if btc else 100,
        "settlCurrency": "XBt", "underlyingToPositionMultiplier": None,
        "underlyingToSettleMultiplier": -100000000 if btc else None, "quoteToSettleMultiplier": None if btc else 100,
        "isQuanto": not btc, "isInverse": btc, "initMargin": 0.01, "maintMargin": 0.005,
        "fundingBaseSymbol": f".{root}BON8H", "fundingQuoteSymbol": ".USDBON8H",
        "fundingPremiumSymbol": f".{root}USDPI8H", "fundingTimestamp": iso_ms(next_funding),
        "fundingInterval": FUNDING_INTERVAL, "fundingRate": round(m.funding_rate(NAME, asset, last_funding), 6),
        "indicativeFundingRate": round(m.funding_rate(NAME, asset, next_funding), 6),
        "prevClosePrice": round(m.index_price(asset, now - 24 * MS_HOUR), 2), "openInterest": oi,
        "openValue": open_value, "fairMethod": "FundingRate", "fairBasisRate": 0.1095, "markMethod": "FairPrice",
        "markPrice": mark, "indicativeSettlePrice": index, "lastPrice": mark, "lastPriceProtected": mark,
        "timestamp": iso_ms(now - now % 5000),
    }


async def instrument(request: web.Request) -> web.Response:
    q = request.query
    count, start, reverse = _paging(q)
    flt = _filter(q)
    items = [_instrument(request, a) for a in _assets(q.get("symbol") or flt.get("symbol"))]
    if flt.get("state"):
        items = [i for i in items if i["state"] == flt["state"]]
    if reverse:
        items.reverse()
    return json_response(items[start:start + count])


async def instrument_active(request: web.Request) -> web.Response:
    return json_response([_instrument(request, a) for a in ASSETS])


def register(app: web.Application) -> None:
    from sandbox.streams import bitmex as bitmex_ws  # the venue's websocket (liquidation stream)

    bitmex_ws.add_routes(app)
    app.router.add_get("/api/v1/funding", funding)
    app.router.add_get("/api/v1/instrument", instrument)
    app.router.add_get("/api/v1/instrument/active", instrument_active)
