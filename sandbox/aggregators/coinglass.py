"""CoinGlass API v4 (open-api-v4.coinglass.com), mounted under /coinglass: coin-level aggregates.

Every call needs the `CG-API-KEY` header (401 without it). Answers are {"code": "0", "msg": "success",
"data": [...]}; a bad parameter is HTTP 200 with a non-"0" code. `interval` is 1m .. 1w, `start_time` and
`end_time` are ms, `limit` at most 1000 (the first candles from start_time).
- /api/futures/liquidation/aggregated-history?exchange_list=Binance,OKX&symbol=BTC: long and short USD
  liquidated across the listed exchanges (names CoinGlass does not track are ignored).
- /api/futures/open-interest/aggregated-history?symbol=BTC&unit=usd|coin: OHLC across every exchange.
- /api/futures/funding-rate/oi-weight-history?symbol=BTC: the open-interest-weighted funding rate OHLC,
  in percent per 8 hours (every venue's rate put on an 8-hour basis before weighting).
Open interest and funding values are strings, liquidation sums numbers, as the documentation shows.
"""
from __future__ import annotations

from aiohttp import web

from ingest import contracts  # the documented limits: ingest/venues/<venue>/contract.yml, ingest/onchain/*.yml
from sandbox import market as mk
from sandbox.aggregators._common import (
    PERP_VENUES,
    SETTINGS_KEY,
    candle_starts,
    factor,
    funding_in_force,
    hours_in,
    liquidation_usd,
    ohlc,
    oi_coins,
)
from sandbox.venues._common import int_param, json_response, market, now_ms, trim

NAME = "coinglass"
MAX_LIMIT = contracts.max_limit("coinglass", "liquidation_history")
INTERVAL_MS = {"1m": mk.MS_MINUTE, "3m": 3 * mk.MS_MINUTE, "5m": 5 * mk.MS_MINUTE, "15m": 15 * mk.MS_MINUTE,
               "30m": 30 * mk.MS_MINUTE, "1h": mk.MS_HOUR, "4h": 4 * mk.MS_HOUR, "6h": 6 * mk.MS_HOUR,
               "8h": 8 * mk.MS_HOUR, "12h": 12 * mk.MS_HOUR, "1d": mk.MS_DAY, "1w": 7 * mk.MS_DAY}
WEEK_OFFSET_MS = 4 * mk.MS_DAY  # weeks start on Monday; 1970-01-01 was a Thursday
EXCHANGE_NAMES = {"binance": "Binance", "bybit": "Bybit", "okx": "OKX", "deribit": "Deribit", "bitmex": "Bitmex",
                  "hyperliquid": "Hyperliquid"}
VENUE_OF_NAME = {name.lower(): venue for venue, name in EXCHANGE_NAMES.items()}


def envelope(data, code: str = "0", msg: str = "success", status: int = 200) -> web.Response:
    return json_response({"code": code, "msg": msg, "data": data}, status=status)


def throttled(request: web.Request, retry_after: float) -> web.Response:
    resp = json_response({"code": "429", "msg": "Too Many Requests"}, status=429)
    resp.headers["Retry-After"] = str(max(1, int(retry_after)))
    return resp


def server_error(request: web.Request, status: int) -> web.Response:
    return json_response({"code": "500", "msg": "Internal Server Error"}, status=status)


def _bad(msg: str) -> web.Response:
    return json_response({"code": "400", "msg": msg})


# The smallest candle each plan serves (https://docs.coinglass.com/v4.0-zh/reference/intervals, the table by
# API level): Hobbyist 4h and up, Startup 30m and up, Standard and above every interval.
PLAN_FINEST = {"hobbyist": "4h", "startup": "30m", "standard": "1m", "professional": "1m", "enterprise": "1m"}
PLAN_TITLE = {"hobbyist": "Hobbyist", "startup": "Startup", "standard": "Standard", "professional": "Professional",
              "enterprise": "Enterprise"}


def _plan_refuses(request: web.Request, interval: str) -> web.Response | None:
    """CoinGlass's answer to an interval the key's plan does not serve. The docs list which plan serves which
    interval but not the refusal's exact code and message; the code table's "400 Missing or invalid
    parameters" (https://github.com/coinglass-api/coinglass-api-docs/blob/main/errors-rate-limits.md) is the reading taken: HTTP 200, a
    non-"0" code, like every other parameter error here, so a client that ignores `code` fails anyway."""
    settings = request.config_dict.get(SETTINGS_KEY)
    plan = (settings.plan(NAME) if settings is not None else None) or "standard"
    if INTERVAL_MS[interval] < INTERVAL_MS[PLAN_FINEST[plan]]:
        return _bad(f"interval {interval} is not available on the {PLAN_TITLE[plan]} plan; "
                    f"upgrade the plan or use {PLAN_FINEST[plan]} or above")
    return None


def _window(request: web.Request) -> tuple[str, list[int]] | web.Response:
    """The coin and the candle starts a history request asks for, or the error answer."""
    q = request.query
    symbol = q.get("symbol")
    if not symbol:
        return _bad("symbol is required")
    if q.get("interval") not in INTERVAL_MS:
        return _bad(f"interval must be one of {', '.join(INTERVAL_MS)}")
    if (refused := _plan_refuses(request, q["interval"])) is not None:
        return refused
    step = INTERVAL_MS[q["interval"]]
    limit = int_param(q.get("limit"), lambda: _bad("limit must be an integer")) or MAX_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        return _bad(f"limit must be in [1, {MAX_LIMIT}]")
    now = now_ms(request)
    end = int_param(q.get("end_time"), lambda: _bad("end_time must be ms"))
    start = int_param(q.get("start_time"), lambda: _bad("start_time must be ms"))
    end = now if end is None else end
    offset = WEEK_OFFSET_MS if q["interval"] == "1w" else 0
    if start is None:  # the latest `limit` candles
        return symbol.upper(), candle_starts(end - limit * step, end, step, now, offset)[-limit:]
    return symbol.upper(), candle_starts(start, end, step, now, offset)[:limit]


def _guard(request: web.Request) -> web.Response | None:
    if not request.headers.get("CG-API-KEY"):
        return json_response({"code": "401", "msg": "API key missing or invalid"}, status=401)
    return None


async def liquidation_history(request: web.Request) -> web.Response:
    if (denied := _guard(request)) is not None:
        return denied
    names = [n.strip().lower() for n in (request.query.get("exchange_list") or "").split(",") if n.strip()]
    if not names:
        return _bad("exchange_list is required")
    window = _window(request)
    if isinstance(window, web.Response):
        return window
    asset, starts = window
    venues = [VENUE_OF_NAME[n] for n in names if n in VENUE_OF_NAME]
    step = INTERVAL_MS[request.query["interval"]]
    now, seed, k = now_ms(request), market(request).seed, factor(request, NAME)
    rows = []
    for t in starts if asset in mk.ASSETS else []:
        sums = [liquidation_usd(seed, v, asset, t, min(t + step, now)) for v in venues]
        rows.append({"time": t, "aggregated_long_liquidation_usd": round(sum(s[0] for s in sums) * k, 5),
                     "aggregated_short_liquidation_usd": round(sum(s[1] for s in sums) * k, 5)})
    return envelope(rows)


def _ohlc_rows(request: web.Request, sample, *, state_at_close: bool, digits: int) -> web.Response:
    """OHLC over the hourly samples of a candle; a state's close is its value at the candle's end, a rate's
    the last hour inside the candle."""
    window = _window(request)
    if isinstance(window, web.Response):
        return window
    asset, starts = window
    step = INTERVAL_MS[request.query["interval"]]
    now, seed, k = now_ms(request), market(request).seed, factor(request, NAME)
    rows = []
    for t in starts if asset in mk.ASSETS else []:
        end = min(t + step, now)
        hours = [h for h in hours_in(t + 1, end) if state_at_close or h < end]
        values = ohlc([sample(seed, asset, h) for h in [t, *hours]])
        rows.append({"time": t, **{full: trim(values[short] * k, digits) for short, full in
                                   (("o", "open"), ("h", "high"), ("l", "low"), ("c", "close"))}})
    return envelope(rows)


async def open_interest_history(request: web.Request) -> web.Response:
    if (denied := _guard(request)) is not None:
        return denied
    unit = (request.query.get("unit") or "usd").lower()
    if unit not in ("usd", "coin"):
        return _bad("unit must be usd or coin")

    def total(seed: int, asset: str, t: int) -> float:
        price = mk.index_price(seed, asset, t) if unit == "usd" else 1.0
        return sum(oi_coins(seed, v, asset, t) for v in PERP_VENUES) * price

    return _ohlc_rows(request, total, state_at_close=True, digits=2)


def oi_weighted_funding(seed: int, asset: str, t: int) -> float:
    """Percent per 8 hours: each venue's rate in force, on an 8-hour basis, weighted by its USD open interest."""
    weighted = weights = 0.0
    for v in PERP_VENUES:
        rate, hours = funding_in_force(seed, v, asset, t)
        w = oi_coins(seed, v, asset, t)  # one price per coin: coin weights equal USD weights
        weighted += rate * 8 / hours * 100 * w
        weights += w
    return weighted / weights


async def funding_oi_weight_history(request: web.Request) -> web.Response:
    if (denied := _guard(request)) is not None:
        return denied
    return _ohlc_rows(request, oi_weighted_funding, state_at_close=False, digits=10)


def register(app: web.Application) -> None:
    app.router.add_get("/api/futures/liquidation/aggregated-history", liquidation_history)
    app.router.add_get("/api/futures/open-interest/aggregated-history", open_interest_history)
    app.router.add_get("/api/futures/funding-rate/oi-weight-history", funding_oi_weight_history)
