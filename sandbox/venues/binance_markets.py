"""Binance market routes: open interest history, price klines (fapi) and the option chain (eapi).

GET /futures/data/openInterestHist keeps 30 days; with a window wider than `limit` it answers the most
recent `limit` points of it (clients that page forward from startTime lose the early ones). Kline
endpoints answer ascending from startTime (else the latest `limit` up to endTime); the kline still open
at `now` closes at the last minute seen. Options (mounted at /binance-options): /eapi/v1/exchangeInfo
lists every live option, /eapi/v1/openInterest one expiry's open interest (contracts of `unit` coins).
"""
from __future__ import annotations

import datetime as dt

from aiohttp import web

from ingest import contracts  # the documented limits: ingest/venues/<venue>/contract.yml, ingest/onchain/*.yml
from sandbox.market import ASSETS, MS_DAY, MS_MINUTE, perp_symbol
from sandbox.options import option_chain_at
from sandbox.venues._common import Reply, fixed, int_param, json_response, market, now_ms

NAME = "binance"
PERIODS_MS = {"5m": 5, "15m": 15, "30m": 30, "1h": 60, "2h": 120, "4h": 240, "6h": 360, "12h": 720, "1d": 1440}
KLINE_MS = {"1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "2h": 120, "4h": 240, "6h": 360,
            "8h": 480, "12h": 720, "1d": 1440}
OI_RETENTION_MS = contracts.contract("binance", "open_interest_hist")["retention"]["days"] * MS_DAY
OI_MAX_LIMIT = contracts.max_limit("binance", "open_interest_hist")
KLINE_MAX_LIMIT = contracts.max_limit("binance", "mark_price_klines")


def error(code: int, msg: str, status: int = 400) -> web.Response:
    return json_response({"code": code, "msg": msg}, status=status)


def _mandatory(name: str) -> Reply:
    return Reply(error(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."))


def _int(q, name: str) -> int | None:
    return int_param(q.get(name), lambda: error(
        -1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'."))


def _asset(symbol: str | None, name: str) -> str:
    if not symbol:
        raise _mandatory(name)
    for asset in ASSETS:
        if perp_symbol(NAME, asset) == symbol:
            return asset
    raise Reply(error(-1121, "Invalid symbol."))


def _limit(q, default: int, maximum: int) -> int:
    limit = _int(q, "limit") or default
    if not 1 <= limit <= maximum:
        raise Reply(error(-1130, "Data sent for parameter 'limit' is not valid."))
    return limit


def _grid(lo: int, hi: int, step: int) -> list[int]:
    first = -(-lo // step) * step
    return list(range(first, hi + 1, step)) if first <= hi else []


async def open_interest_hist(request: web.Request) -> web.Response:
    q = request.query
    asset = _asset(q.get("symbol"), "symbol")
    if q.get("period") not in PERIODS_MS:
        raise _mandatory("period")
    step = PERIODS_MS[q["period"]] * MS_MINUTE
    limit = _limit(q, 30, OI_MAX_LIMIT)
    start, end = _int(q, "startTime"), _int(q, "endTime")
    now = now_ms(request)
    hi = min(end if end is not None else now, now)
    lo = max(start if start is not None else hi - (limit - 1) * step, now - OI_RETENTION_MS)
    points = _grid(lo, hi, step)[-limit:]
    m = market(request)
    rows = []
    for t in points:
        oi = m.open_interest(NAME, asset, t)
        rows.append({"symbol": perp_symbol(NAME, asset), "sumOpenInterest": fixed(oi, 8),
                     "sumOpenInterestValue": fixed(oi * m.mark_price(asset, t, NAME), 8),
                     "CMCCirculatingSupply": fixed(19_950_000.0 if asset == "BTC" else 120_700_000.0, 8),
                     "timestamp": t})
    return json_response(rows)


def _klines(request: web.Request, price) -> web.Response:
    q = request.query
    if q.get("interval") not in KLINE_MS:
        raise _mandatory("interval")
    step = KLINE_MS[q["interval"]] * MS_MINUTE
    limit = _limit(q, 500, KLINE_MAX_LIMIT)
    start, end = _int(q, "startTime"), _int(q, "endTime")
    now = now_ms(request)
    hi = min(end if end is not None else now, now)
    if start is not None:
        opens = _grid(start, hi, step)[:limit]
    else:
        opens = _grid(hi - limit * step, hi, step)[-limit:]
    out = []
    for t in opens:
        minutes = [price(x) for x in range(t, min(t + step, now + 1), MS_MINUTE)]
        out.append([t, fixed(minutes[0], 8), fixed(max(minutes), 8), fixed(min(minutes), 8), fixed(minutes[-1], 8),
                    "0", t + step - 1, "0", len(minutes), "0", "0", "0"])
    return json_response(out)


async def mark_price_klines(request: web.Request) -> web.Response:
    asset = _asset(request.query.get("symbol"), "symbol")
    m = market(request)
    return _klines(request, lambda t: m.mark_price(asset, t, NAME))


async def index_price_klines(request: web.Request) -> web.Response:
    asset = _asset(request.query.get("pair"), "pair")
    m = market(request)
    return _klines(request, lambda t: m.index_price(asset, t))


def register(app: web.Application) -> None:
    app.router.add_get("/futures/data/openInterestHist", open_interest_hist)
    app.router.add_get("/fapi/v1/markPriceKlines", mark_price_klines)
    app.router.add_get("/fapi/v1/indexPriceKlines", index_price_klines)


# --- options (eapi) --------------------------------------------------------------------------------------
def _chain(request: web.Request, asset: str):
    return option_chain_at(market(request).seed, NAME, asset, now_ms(request))


def _option_symbol(inst) -> dict:
    btc = inst.asset == "BTC"
    return {
        "expiryDate": inst.expiry_ms,
        "filters": [{"filterType": "PRICE_FILTER", "minPrice": "5" if btc else "0.1", "maxPrice": "1000000",
                     "tickSize": "5" if btc else "0.1"},
                    {"filterType": "LOT_SIZE", "minQty": "0.01", "maxQty": "1000", "stepSize": "0.01"}],
        "symbol": inst.name, "side": "CALL" if inst.kind == "C" else "PUT", "strikePrice": fixed(inst.strike, 3),
        "underlying": f"{inst.asset}USDT", "unit": 1, "makerFeeRate": "0.00020000", "takerFeeRate": "0.00020000",
        "liquidationFeeRate": "0.00190000", "minQty": "0.01", "maxQty": "1000", "initialMargin": "0.10000000",
        "maintenanceMargin": "0.05000000", "minInitialMargin": "0.08000000", "minMaintenanceMargin": "0.04000000",
        "priceScale": 0 if btc else 1, "quantityScale": 2, "quoteAsset": "USDT", "status": "TRADING",
    }


async def option_exchange_info(request: web.Request) -> web.Response:
    symbols = [_option_symbol(i) for asset in ASSETS for i in _chain(request, asset)]
    return json_response({
        "timezone": "UTC", "serverTime": now_ms(request),
        "optionContracts": [{"baseAsset": a, "quoteAsset": "USDT", "underlying": f"{a}USDT", "settleAsset": "USDT"}
                            for a in ASSETS],
        "optionAssets": [{"name": "USDT"}],
        "optionSymbols": symbols,
        "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                        "limit": contracts.per_minute("binance")},
                       {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200}],
    })


async def option_open_interest(request: web.Request) -> web.Response:
    q = request.query
    asset, expiration = q.get("underlyingAsset"), q.get("expiration")
    if not asset:
        raise _mandatory("underlyingAsset")
    if not expiration:
        raise _mandatory("expiration")
    try:
        expiry_day = dt.datetime.strptime(expiration, "%y%m%d").date()
    except ValueError:
        raise Reply(error(-1100, "Illegal characters found in parameter 'expiration'.")) from None
    if asset not in ASSETS:
        return json_response([])
    now, m = now_ms(request), market(request)
    index = m.index_price(asset, now)
    rows = []
    for inst in _chain(request, asset):
        if inst.expiry.date() == expiry_day:
            rows.append({"symbol": inst.name, "sumOpenInterest": fixed(inst.open_interest, 2),
                         "sumOpenInterestUsd": fixed(inst.open_interest * index, 10), "timestamp": str(now)})
    return json_response(rows)


def register_options(app: web.Application) -> None:
    app.router.add_get("/eapi/v1/exchangeInfo", option_exchange_info)
    app.router.add_get("/eapi/v1/openInterest", option_open_interest)

