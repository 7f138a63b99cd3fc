"""Binance USD-M futures (fapi), mounted under /binance.

Funding: GET /fapi/v1/fundingRate answers ascending; if more than `limit` events lie in the window it
returns the first `limit` after startTime (with only endTime, startTime is the symbol's onboard date); with
neither it returns the most recent `limit`. GET /fapi/v1/fundingInfo lists only symbols whose cap, floor or
interval differ from the default (here ETHUSDT, settling every 4 hours). Errors are {"code", "msg"}.
"""
from __future__ import annotations

import datetime as dt

from aiohttp import web

from ingest import contracts  # the documented limits: ingest/venues/<venue>/contract.yml, ingest/onchain/*.yml
from sandbox.market import ASSETS, MS_HOUR, funding_interval_hours, perp_symbol, to_ms
from sandbox.venues._common import Reply, fixed, int_param, json_response, market, now_ms

NAME = "binance"
ONBOARD = {"BTC": 1569398400000, "ETH": 1569398400000}  # 2019-09-25
MAX_LIMIT = contracts.max_limit("binance", "funding_rates")
QUARTERLIES = (dt.datetime(2026, 12, 25, 8, tzinfo=dt.UTC), dt.datetime(2027, 3, 26, 8, tzinfo=dt.UTC))
FUNDING_INFO = {"ETH": ("0.02000000", "-0.02000000")}  # adjusted cap/floor of the non-default symbols


def error(code: int, msg: str, status: int = 400) -> web.Response:
    return json_response({"code": code, "msg": msg}, status=status)


def throttled(request: web.Request, retry_after: float) -> web.Response:
    resp = error(-1003, f"Too many requests; current limit of IP(127.0.0.1) is {contracts.per_minute('binance')} "
                        "requests per minute. Please use the websocket for live updates to avoid polling the API.", status=429)
    resp.headers["Retry-After"] = str(int(retry_after))
    return resp


def server_error(request: web.Request, status: int) -> web.Response:
    return error(-1000, "An unknown error occured while processing the request.", status=status)


def _bad_param(name: str):
    return lambda: error(-1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.")


def _asset(symbol: str) -> str:
    for asset in ASSETS:
        if perp_symbol(NAME, asset) == symbol:
            return asset
    raise Reply(error(-1121, "Invalid symbol."))


def _times(asset: str, start: int | None, end: int | None, limit: int, now: int) -> list[int]:
    step = funding_interval_hours(NAME, asset) * MS_HOUR
    hi = min(end if end is not None else now, now)
    if start is None and end is None:
        lo = max(ONBOARD[asset], hi - (limit + 1) * step)
        return _grid(lo, hi, step)[-limit:]
    lo = max(start if start is not None else ONBOARD[asset], ONBOARD[asset])
    return _grid(lo, min(hi, lo + limit * step), step)[:limit]


def _grid(lo: int, hi: int, step: int) -> list[int]:
    first = -(-lo // step) * step
    return list(range(first, hi + 1, step)) if first <= hi else []


async def funding_rate(request: web.Request) -> web.Response:
    q = request.query
    limit = int_param(q.get("limit"), _bad_param("limit")) or 100
    limit = min(max(limit, 1), MAX_LIMIT)
    start = int_param(q.get("startTime"), _bad_param("startTime"))
    end = int_param(q.get("endTime"), _bad_param("endTime"))
    assets = [_asset(q["symbol"])] if q.get("symbol") else list(ASSETS)
    now, m = now_ms(request), market(request)
    rows = []
    for asset in assets:
        for t in _times(asset, start, end, limit, now):
            rows.append((t, asset))
    rows.sort(key=lambda r: (r[0], r[1]))
    rows = rows[-limit:] if start is None and end is None else rows[:limit]
    out = []
    for t, asset in rows:
        out.append({"symbol": perp_symbol(NAME, asset), "fundingRate": fixed(m.funding_rate(NAME, asset, t), 8),
                    "fundingTime": t, "markPrice": fixed(m.mark_price(asset, t, NAME), 8)})
    return json_response(out)


async def funding_info(request: web.Request) -> web.Response:
    return json_response([
        {"symbol": perp_symbol(NAME, asset), "adjustedFundingRateCap": cap, "adjustedFundingRateFloor": floor,
         "fundingIntervalHours": funding_interval_hours(NAME, asset), "disclaimer": False}
        for asset, (cap, floor) in FUNDING_INFO.items()])


def _symbol_info(asset: str, symbol: str, contract_type: str, delivery: int, onboard: int) -> dict:
    btc = asset == "BTC"
    return {
        "symbol": symbol, "pair": f"{asset}USDT", "contractType": contract_type, "deliveryDate": delivery,
        "onboardDate": onboard, "status": "TRADING", "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000", "baseAsset": asset, "quoteAsset": "USDT", "marginAsset": "USDT",
        "pricePrecision": 2, "quantityPrecision": 3, "baseAssetPrecision": 8, "quotePrecision": 8,
        "underlyingType": "COIN", "underlyingSubType": ["PoW"] if btc else ["Layer-1"], "settlePlan": 0,
        "triggerProtect": "0.0500", "liquidationFee": "0.012500", "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "556.80" if btc else "39.86",
             "maxPrice": "4529764" if btc else "306177", "tickSize": "0.10" if btc else "0.01"},
            {"filterType": "LOT_SIZE", "stepSize": "0.001", "maxQty": "1000" if btc else "10000", "minQty": "0.001"},
            {"filterType": "MARKET_LOT_SIZE", "stepSize": "0.001", "maxQty": "120" if btc else "2000",
             "minQty": "0.001"},
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
            {"filterType": "MIN_NOTIONAL", "notional": "100" if btc else "20"},
            {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500",
             "multiplierDecimal": "4"},
        ],
        "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
                       "TRAILING_STOP_MARKET"],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
    }


async def exchange_info(request: web.Request) -> web.Response:
    now = now_ms(request)
    symbols = []
    for asset in ASSETS:
        symbols.append(_symbol_info(asset, perp_symbol(NAME, asset), "PERPETUAL", 4133404800000, ONBOARD[asset]))
        for i, expiry in enumerate(e for e in QUARTERLIES if to_ms(e) > now):
            onboard = to_ms(expiry - dt.timedelta(days=180))
            if onboard <= now:
                kind = "CURRENT_QUARTER" if i == 0 else "NEXT_QUARTER"
                symbols.append(_symbol_info(asset, f"{asset}USDT_{expiry:%y%m%d}", kind, to_ms(expiry), onboard))
    return json_response({
        "timezone": "UTC", "serverTime": now, "futuresType": "U_MARGINED",
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
             "limit": contracts.per_minute("binance")},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
        ],
        "exchangeFilters": [],
        "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"},
                   {"asset": "BTC", "marginAvailable": True, "autoAssetExchange": "-0.10000000"}],
        "symbols": symbols,
    })


async def ping(request: web.Request) -> web.Response:
    return json_response({})


async def server_time(request: web.Request) -> web.Response:
    return json_response({"serverTime": now_ms(request)})


def register(app: web.Application) -> None:
    from sandbox.streams import binance as binance_ws  # the venue's websocket (liquidation stream)

    binance_ws.add_routes(app)
    app.router.add_get("/fapi/v1/ping", ping)
    app.router.add_get("/fapi/v1/time", server_time)
    app.router.add_get("/fapi/v1/exchangeInfo", exchange_info)
    app.router.add_get("/fapi/v1/fundingRate", funding_rate)
    app.router.add_get("/fapi/v1/fundingInfo", funding_info)
    from sandbox.venues import binance_markets  # open interest history and price klines

    binance_markets.register(app)
