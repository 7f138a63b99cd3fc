"""Bybit v5, mounted under /bybit.

Funding: GET /v5/market/funding/history answers newest first, at most `limit` (<= 200) rows; only endTime
gives the 200 rows up to endTime, neither gives the latest 200, startTime alone is an error. Clients page
backwards by moving endTime below the oldest row. Errors come as HTTP 200 with retCode != 0.
"""
from __future__ import annotations

import base64

from aiohttp import web

from ingest import contracts  # the documented limits: ingest/venues/<venue>/contract.yml, ingest/onchain/*.yml
from sandbox.market import ASSETS, MS_HOUR, funding_interval_hours, perp_symbol, to_ms
from sandbox.options import option_chain_at
from sandbox.venues._common import Reply, int_param, json_response, market, now_ms, trim

NAME = "bybit"
LAUNCH = {"BTC": 1585526400000, "ETH": 1615766400000}
MAX_FUNDING_LIMIT = contracts.max_limit("bybit", "funding_rates")
MAX_INSTRUMENTS_LIMIT = contracts.max_limit("bybit", "instruments")


def envelope(request: web.Request, result: dict, code: int = 0, msg: str = "OK", status: int = 200) -> web.Response:
    return json_response({"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {},
                          "time": now_ms(request)}, status=status)


def params_error(request: web.Request, msg: str) -> web.Response:
    return envelope(request, {}, 10001, msg)


def throttled(request: web.Request, retry_after: float) -> web.Response:
    resp = envelope(request, {}, 10006, "Too many visits!", status=429)
    reset = now_ms(request) + int(retry_after * 1000)
    resp.headers.update({"Retry-After": str(int(retry_after)), "X-Bapi-Limit": "600",
                         "X-Bapi-Limit-Status": "0", "X-Bapi-Limit-Reset-Timestamp": str(reset)})
    return resp


def server_error(request: web.Request, status: int) -> web.Response:
    return envelope(request, {}, 10016, "Internal server error.", status=status)


def _asset(request: web.Request, symbol: str | None) -> str:
    for asset in ASSETS:
        if symbol == perp_symbol(NAME, asset):
            return asset
    raise Reply(params_error(request, "params error: symbol invalid"))


async def funding_history(request: web.Request) -> web.Response:
    q = request.query
    category = q.get("category")
    if category not in ("linear", "inverse"):
        return params_error(request, "Illegal category")
    asset = _asset(request, q.get("symbol"))
    bad = lambda name: lambda: params_error(request, f"params error: {name} invalid")  # noqa: E731
    start = int_param(q.get("startTime"), bad("startTime"))
    end = int_param(q.get("endTime"), bad("endTime"))
    limit = min(max(int_param(q.get("limit"), bad("limit")) or MAX_FUNDING_LIMIT, 1), MAX_FUNDING_LIMIT)
    if start is not None and end is None:
        return params_error(request, "params error: startTime and endTime need to be passed together")
    if category == "inverse":  # only the USDT perpetuals are simulated
        return envelope(request, {"category": category, "list": []})
    step = funding_interval_hours(NAME, asset) * MS_HOUR
    hi = min(end if end is not None else now_ms(request), now_ms(request))
    lo = max(start if start is not None else 0, LAUNCH[asset], hi - limit * step)
    first = -(-lo // step) * step
    times = list(range(first, hi + 1, step))[-limit:][::-1]
    m = market(request)
    rows = [{"symbol": perp_symbol(NAME, asset), "fundingRate": trim(m.funding_rate(NAME, asset, t), 8),
             "fundingRateTimestamp": str(t)} for t in times]
    return envelope(request, {"category": category, "list": rows})


def _linear_instrument(asset: str) -> dict:
    btc = asset == "BTC"
    return {
        "symbol": perp_symbol(NAME, asset), "contractType": "LinearPerpetual", "status": "Trading",
        "baseCoin": asset, "quoteCoin": "USDT", "launchTime": str(LAUNCH[asset]), "deliveryTime": "0",
        "deliveryFeeRate": "", "priceScale": "2",
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": "0.10" if btc else "0.01", "maxPrice": "1999999.80" if btc else "199999.98",
                        "tickSize": "0.10" if btc else "0.01"},
        "lotSizeFilter": {"maxOrderQty": "1190.000" if btc else "7240.00", "minOrderQty": "0.001" if btc else "0.01",
                          "qtyStep": "0.001" if btc else "0.01", "postOnlyMaxOrderQty": "1190.000" if btc else "7240.00",
                          "maxMktOrderQty": "500.000" if btc else "3620.00", "minNotionalValue": "5"},
        "unifiedMarginTrade": True, "fundingInterval": funding_interval_hours(NAME, asset) * 60,
        "settleCoin": "USDT", "copyTrading": "both", "upperFundingRate": "0.005", "lowerFundingRate": "-0.005",
        "isPreListing": False, "preListingInfo": None,
        "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"}, "symbolType": "",
    }


def _option_instrument(inst) -> dict:
    btc = inst.asset == "BTC"
    return {
        "symbol": inst.name, "optionsType": "Call" if inst.kind == "C" else "Put", "status": "Trading",
        "baseCoin": inst.asset, "quoteCoin": "USD", "settleCoin": "USDC",
        "launchTime": str(to_ms(inst.listed_at)), "deliveryTime": str(inst.expiry_ms), "deliveryFeeRate": "0.00015",
        "priceFilter": {"minPrice": "5" if btc else "0.1", "maxPrice": "10000000", "tickSize": "5" if btc else "0.1"},
        "lotSizeFilter": {"maxOrderQty": "500" if btc else "10000", "minOrderQty": "0.01" if btc else "0.1",
                          "qtyStep": "0.01" if btc else "0.1"},
        "displayName": "",
    }


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset={offset}".encode()).decode()


def _offset(request: web.Request, cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode().split("=", 1)[1])
    except (ValueError, IndexError):
        raise Reply(params_error(request, "params error: cursor invalid")) from None


async def instruments_info(request: web.Request) -> web.Response:
    q = request.query
    category = q.get("category")
    if category not in ("spot", "linear", "inverse", "option"):
        return params_error(request, "Illegal category")
    limit = int_param(q.get("limit"), lambda: params_error(request, "params error: limit invalid")) or 500
    limit = min(max(limit, 1), MAX_INSTRUMENTS_LIMIT)
    symbol = q.get("symbol")
    if category == "linear":
        items = [_linear_instrument(a) for a in ASSETS if q.get("baseCoin") in (None, a)]
    elif category == "option":
        base = q.get("baseCoin", "BTC")
        chain = option_chain_at(market(request).seed, NAME, base, now_ms(request)) if base in ASSETS else []
        items = [_option_instrument(i) for i in chain]
    else:
        items = []
    if symbol:
        items = [i for i in items if i["symbol"] == symbol]
    offset = _offset(request, q.get("cursor"))
    page = items[offset:offset + limit]
    more = offset + limit < len(items)
    return envelope(request, {"category": category, "list": page, "nextPageCursor": _cursor(offset + limit) if more else ""})


async def server_time(request: web.Request) -> web.Response:
    now = now_ms(request)
    return envelope(request, {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)})


def register(app: web.Application) -> None:
    from sandbox.streams import bybit as bybit_ws  # the venue's websocket (liquidation stream)

    bybit_ws.add_routes(app)
    app.router.add_get("/v5/market/time", server_time)
    app.router.add_get("/v5/market/funding/history", funding_history)
    app.router.add_get("/v5/market/instruments-info", instruments_info)
    from sandbox.venues import bybit_markets  # open interest, price klines, option tickers

    bybit_markets.register(app)

