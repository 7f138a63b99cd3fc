"""Bybit market routes: open interest history, mark/index price klines, option tickers.

GET /v5/market/open-interest answers newest first, `limit` (<= 200, default 50) rows a page and a
`nextPageCursor` for the older rest of [startTime, endTime]; `openInterest` is both sides,
`singleOpenInterest` one side. Kline endpoints answer newest first, at most `limit` of the window (the
latest ones). Option tickers: the chain as of now, openInterest in coins. Errors: HTTP 200, retCode != 0.
"""
from __future__ import annotations

import math

from aiohttp import web

from ingest import contracts  # the documented limits: ingest/venues/<venue>/contract.yml, ingest/onchain/*.yml
from sandbox.market import ASSETS, MS_DAY, MS_MINUTE, perp_symbol
from sandbox.options import option_chain_at, option_mark
from sandbox.venues._common import Reply, int_param, market, now_ms, trim
from sandbox.venues.bybit import LAUNCH, NAME, _cursor, _offset, envelope, params_error

OI_INTERVALS = {"5min": 5, "15min": 15, "30min": 30, "1h": 60, "4h": 240, "1d": 1440}
OI_MAX_LIMIT = contracts.max_limit("bybit", "open_interest")
KLINE_MAX_LIMIT = contracts.max_limit("bybit", "mark_price_klines")
KLINE_INTERVALS = {"1": 1, "3": 3, "5": 5, "15": 15, "30": 30, "60": 60, "120": 120, "240": 240, "360": 360,
                   "720": 720, "D": 1440}


def _int(request: web.Request, name: str) -> int | None:
    return int_param(request.query.get(name), lambda: params_error(request, f"params error: {name} invalid"))


def _perp(request: web.Request) -> str:
    symbol = request.query.get("symbol")
    for asset in ASSETS:
        if symbol == perp_symbol(NAME, asset):
            return asset
    raise Reply(params_error(request, "params error: symbol invalid"))


def _newest_first(lo: int, hi: int, step: int) -> list[int]:
    last = hi - hi % step
    first = -(-lo // step) * step
    return list(range(last, first - 1, -step)) if first <= last else []


async def open_interest(request: web.Request) -> web.Response:
    q = request.query
    category = q.get("category")
    if category not in ("linear", "inverse"):
        return params_error(request, "Illegal category")
    asset = _perp(request)
    if q.get("intervalTime") not in OI_INTERVALS:
        return params_error(request, "params error: intervalTime invalid")
    step = OI_INTERVALS[q["intervalTime"]] * MS_MINUTE
    limit = _int(request, "limit") or 50
    if not 1 <= limit <= OI_MAX_LIMIT:
        return params_error(request, f"params error: limit must be in [1, {OI_MAX_LIMIT}]")
    start, end = _int(request, "startTime"), _int(request, "endTime")
    now = now_ms(request)
    hi = min(end if end is not None else now, now)
    lo = max(start if start is not None else LAUNCH[asset], LAUNCH[asset])
    offset = _offset(request, q.get("cursor"))
    last = hi - hi % step
    first = -(-lo // step) * step
    total = (last - first) // step + 1 if first <= last else 0
    times = [last - i * step for i in range(offset, min(offset + limit, total))]
    m = market(request)
    rows = []
    for t in times:
        single = round(m.open_interest(NAME, asset, t), 3)
        rows.append({"openInterest": f"{2 * single:.8f}", "singleOpenInterest": trim(single, 8), "timestamp": str(t)})
    more = offset + limit < total
    return envelope(request, {"symbol": perp_symbol(NAME, asset), "category": category, "list": rows,
                              "nextPageCursor": _cursor(offset + limit) if more else ""})


def _kline(request: web.Request, price) -> web.Response:
    q = request.query
    if q.get("interval") not in KLINE_INTERVALS:
        return params_error(request, "params error: interval invalid")
    step = KLINE_INTERVALS[q["interval"]] * MS_MINUTE
    limit = _int(request, "limit") or 200
    if not 1 <= limit <= KLINE_MAX_LIMIT:
        return params_error(request, f"params error: limit must be in [1, {KLINE_MAX_LIMIT}]")
    start, end = _int(request, "start"), _int(request, "end")
    now = now_ms(request)
    hi = min(end if end is not None else now, now)
    lo = start if start is not None else hi - limit * step
    rows = []
    for t in _newest_first(lo, hi, step)[:limit]:
        minutes = [price(x) for x in range(t, min(t + step, now + 1), MS_MINUTE)]
        rows.append([str(t), trim(minutes[0], 2), trim(max(minutes), 2), trim(min(minutes), 2), trim(minutes[-1], 2)])
    return envelope(request, {"symbol": q.get("symbol"), "category": q.get("category", "linear"), "list": rows})


async def mark_price_kline(request: web.Request) -> web.Response:
    asset = _perp(request)
    m = market(request)
    return _kline(request, lambda t: m.mark_price(asset, t, NAME))


async def index_price_kline(request: web.Request) -> web.Response:
    asset = _perp(request)
    m = market(request)
    return _kline(request, lambda t: m.index_price(asset, t))


def _greeks(forward: float, strike: float, iv: float, years: float) -> tuple[float, float, float]:
    """Black-76 gamma (per USD), vega (USD per vol point) and theta (USD per day)."""
    sd = iv * math.sqrt(years)
    d1 = (math.log(forward / strike) + 0.5 * sd * sd) / sd
    pdf = math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)
    return pdf / (forward * sd), forward * pdf * math.sqrt(years) / 100, -forward * pdf * iv / (2 * math.sqrt(years)) / 365


async def tickers(request: web.Request) -> web.Response:
    q = request.query
    category = q.get("category")
    if category != "option":
        return params_error(request, "Illegal category")  # only the option tickers are simulated
    base = q.get("baseCoin") or (q.get("symbol") or "").split("-")[0]
    if not base:
        return params_error(request, "params error: symbol or baseCoin must be passed")
    m, now = market(request), now_ms(request)
    chain = option_chain_at(m.seed, NAME, base, now) if base in ASSETS else []
    if q.get("symbol"):
        chain = [i for i in chain if i.name == q["symbol"]]
    if q.get("expDate"):
        chain = [i for i in chain if i.name.split("-")[1] == q["expDate"]]
    rows = []
    for inst in chain:
        mark = option_mark(m.seed, inst.asset, inst.strike, inst.kind, inst.expiry, now)
        years = max((inst.expiry_ms - now) / (365.0 * MS_DAY), 1.0 / (365 * 24))
        gamma, vega, theta = _greeks(mark["underlying"], inst.strike, mark["iv"], years)
        px = trim(mark["usd"], 2)
        rows.append({
            "symbol": inst.name, "bid1Price": px, "bid1Size": "0", "bid1Iv": "0", "ask1Price": px, "ask1Size": "0",
            "ask1Iv": "0", "lastPrice": px, "highPrice24h": px, "lowPrice24h": px, "markPrice": trim(mark["usd"], 8),
            "indexPrice": trim(m.index_price(inst.asset, now), 2), "markIv": trim(mark["iv"], 4),
            "underlyingPrice": trim(mark["underlying"], 2), "openInterest": trim(inst.open_interest, 2),
            "turnover24h": "0", "volume24h": "0", "totalVolume": "0", "totalTurnover": "0",
            "delta": trim(mark["delta"], 8), "gamma": trim(gamma, 8), "vega": trim(vega, 8), "theta": trim(theta, 8),
            "predictedDeliveryPrice": "0", "change24h": "0",
        })
    return envelope(request, {"category": "option", "list": rows})


def register(app: web.Application) -> None:
    app.router.add_get("/v5/market/open-interest", open_interest)
    app.router.add_get("/v5/market/mark-price-kline", mark_price_kline)
    app.router.add_get("/v5/market/index-price-kline", index_price_kline)
    app.router.add_get("/v5/market/tickers", tickers)
