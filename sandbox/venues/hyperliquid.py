"""Hyperliquid info API, mounted under /hyperliquid: everything is POST /info with a JSON body {"type": ...}.

fundingHistory {coin, startTime, endTime?} gives the settlements in [startTime, endTime] ascending, at most 500
per answer; clients page by asking again from the last time + 1. Settlements are hourly since 2023-06-08 and were
8-hourly (00:00, 08:00, 16:00 UTC, an 8-hour rate) before: hyperliquid-python-sdk's recorded answer
(tests/cassettes/info_test/test_get_funding_history[None].yaml) steps from 8 h to 1 h after
2023-06-08 00:00; tests/fixtures/hyperliquid/ vendors part of it. A body that does not fit a request type is refused with HTTP 422
and a plain-text reason, as the real server does.
"""
from __future__ import annotations

import json

from aiohttp import web

from ingest import contracts  # the documented limits: ingest/venues/<venue>/contract.yml, ingest/onchain/*.yml
from sandbox.market import ASSETS, MS_HOUR, funding_times
from sandbox.venues._common import json_response, market, now_ms, text_response, trim

NAME = "hyperliquid"
MAX_ROWS = contracts.max_limit("hyperliquid", "funding_rates")
INTEREST_1H = 0.0000125  # the fixed interest component of Hyperliquid's hourly rate
UNIVERSE = [{"szDecimals": 5, "name": "BTC", "maxLeverage": 40, "marginTableId": 56},
            {"szDecimals": 4, "name": "ETH", "maxLeverage": 25, "marginTableId": 55}]
MARGIN_TABLES = [
    [55, {"description": "tiered 25x", "marginTiers": [{"lowerBound": "0.0", "maxLeverage": 25},
                                                       {"lowerBound": "100000000.0", "maxLeverage": 15}]}],
    [56, {"description": "tiered 40x", "marginTiers": [{"lowerBound": "0.0", "maxLeverage": 40},
                                                       {"lowerBound": "150000000.0", "maxLeverage": 20}]}],
]
TYPES = ("meta", "metaAndAssetCtxs", "fundingHistory", "l2Book")


def throttled(request: web.Request, retry_after: float) -> web.Response:
    resp = json_response(None, status=429)
    resp.headers["Retry-After"] = str(int(retry_after))
    return resp


def server_error(request: web.Request, status: int) -> web.Response:
    return json_response(None, status=status)


def _reject(reason: str) -> web.Response:
    return text_response(f"Failed to deserialize the JSON body into the target type: {reason}", 422)


def _meta() -> dict:
    return {"universe": UNIVERSE, "marginTables": MARGIN_TABLES, "collateralToken": 0}


def _premium(rate: float) -> float:
    # Hyperliquid's hourly rate is premium/8 plus the interest part; invert it so the two stay consistent
    return (rate - INTEREST_1H) * 8


def _asset_ctx(request: web.Request, coin: str) -> dict:
    m, now = market(request), now_ms(request)
    mark = m.mark_price(coin, now, NAME)
    oracle = m.index_price(coin, now)
    next_rate = m.funding_rate(NAME, coin, now - now % MS_HOUR + MS_HOUR)
    volume = m.open_interest(NAME, coin, now) * 1.6
    dp = 1 if coin == "BTC" else 2
    return {"funding": trim(next_rate, 10), "openInterest": trim(m.open_interest(NAME, coin, now), 4),
            "prevDayPx": trim(m.index_price(coin, now - 24 * MS_HOUR), dp), "dayNtlVlm": trim(volume * mark, 2),
            "premium": trim(_premium(next_rate), 8), "oraclePx": trim(oracle, dp), "markPx": trim(mark, dp),
            "midPx": trim(mark, dp + 1), "impactPxs": [trim(mark * 0.9999, dp), trim(mark * 1.0001, dp)],
            "dayBaseVlm": trim(volume, 4)}


HOURLY_SINCE_MS = 1686182400000  # 2023-06-08 00:00 UTC: the last 8-hour settlement; hourly after it


def settlement_times(coin: str, start: int, end: int) -> list[int]:
    """Settlement times in [start, end]: every 8 hours up to 2023-06-08 00:00, every hour after."""
    eight = [t for t in range(-(-start // (8 * MS_HOUR)) * 8 * MS_HOUR, min(end, HOURLY_SINCE_MS) + 1, 8 * MS_HOUR)]
    return eight + funding_times(NAME, coin, max(start, HOURLY_SINCE_MS + 1), end)


def _funding_history(request: web.Request, body: dict) -> web.Response:
    for field in ("coin", "startTime"):
        if field not in body:
            return _reject(f"missing field `{field}`")
    coin, start, end = body["coin"], body["startTime"], body.get("endTime")
    if not isinstance(coin, str) or not isinstance(start, int) or not (end is None or isinstance(end, int)):
        return _reject("invalid type: expected coin string and integer times")
    if coin not in ASSETS:
        return json_response([])
    hi = min(end if end is not None else now_ms(request), now_ms(request))
    times = settlement_times(coin, start, hi)[:MAX_ROWS]
    m = market(request)
    rows = []
    for t in times:
        hours = 8 if t <= HOURLY_SINCE_MS else 1
        rate = sum(m.funding_rate(NAME, coin, t - i * MS_HOUR) for i in range(hours))
        rows.append({"coin": coin, "fundingRate": trim(rate, 10), "premium": trim(_premium(rate), 8), "time": t})
    return json_response(rows)


async def info(request: web.Request) -> web.Response:
    try:
        body = json.loads(await request.read() or b"null")
    except ValueError as exc:
        return _reject(f"expected value at line 1 column {getattr(exc, 'colno', 1)}")
    if not isinstance(body, dict):
        return _reject("invalid type: expected a map")
    kind = body.get("type")
    if kind is None:
        return _reject("missing field `type`")
    if kind == "meta":
        return json_response(_meta())
    if kind == "metaAndAssetCtxs":
        return json_response([_meta(), [_asset_ctx(request, u["name"]) for u in UNIVERSE]])
    if kind == "fundingHistory":
        return _funding_history(request, body)
    if kind == "l2Book":  # the book's `time` dates the asset context snapshot (sandbox/venues/hyperliquid_markets.py)
        from sandbox.venues.hyperliquid_markets import l2_book

        return l2_book(request, body)
    return _reject(f"unknown variant `{kind}`, expected one of {', '.join(f'`{t}`' for t in TYPES)}")


def register(app: web.Application) -> None:
    app.router.add_post("/info", info)
