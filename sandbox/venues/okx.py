"""OKX v5, mounted under /okx.

Funding: GET /api/v5/public/funding-rate-history answers newest first; `after` asks for rows older than a
fundingTime, `before` for newer ones; at most `limit` (<= 400, the documented maximum; default 400) and only
the last three months. Every answer is {"code", "msg", "data"}; code "0" is success.
"""
from __future__ import annotations

import datetime as dt

from aiohttp import web

from ingest import contracts  # the documented limits: ingest/venues/<venue>/contract.yml, ingest/onchain/*.yml
from sandbox.market import ASSETS, MS_DAY, MS_HOUR, funding_interval_hours, perp_symbol, to_ms
from sandbox.options import option_chain_at
from sandbox.venues._common import Reply, int_param, json_response, market, now_ms, trim

NAME = "okx"
MAX_LIMIT = contracts.max_limit("okx", "funding_rates")
HISTORY_MS = 92 * MS_DAY  # "up to three months"
LIST_TIME = {"BTC": 1611916800000, "ETH": 1611916800000}


def envelope(data: list, code: str = "0", msg: str = "", status: int = 200) -> web.Response:
    return json_response({"code": code, "msg": msg, "data": data}, status=status)


def throttled(request: web.Request, retry_after: float) -> web.Response:
    resp = json_response({"code": "50011", "msg": "Too Many Requests"}, status=429)
    resp.headers["Retry-After"] = str(int(retry_after))
    return resp


def server_error(request: web.Request, status: int) -> web.Response:
    return envelope([], "50001", "Service temporarily unavailable. Please try again later.", status=status)


def _missing(name: str) -> web.Response:
    return envelope([], "50014", f"Parameter {name} can not be empty.", status=400)


def _param_error(name: str):
    return lambda: envelope([], "51000", f"Parameter {name} error", status=400)


def _no_instrument() -> web.Response:
    return envelope([], "51001", "Instrument ID does not exist")


async def funding_rate_history(request: web.Request) -> web.Response:
    q = request.query
    inst_id = q.get("instId")
    if not inst_id:
        return _missing("instId")
    asset = next((a for a in ASSETS if perp_symbol(NAME, a) == inst_id), None)
    if asset is None:
        return _no_instrument()
    limit = min(max(int_param(q.get("limit"), _param_error("limit")) or MAX_LIMIT, 1), MAX_LIMIT)
    after = int_param(q.get("after"), _param_error("after"))
    before = int_param(q.get("before"), _param_error("before"))
    now = now_ms(request)
    step = funding_interval_hours(NAME, asset) * MS_HOUR
    hi = now if after is None else min(now, after - 1)
    lo = max(now - HISTORY_MS, LIST_TIME[asset], (before + 1) if before is not None else 0)
    first = -(-lo // step) * step
    oldest = max(first, hi - hi % step - (limit - 1) * step)
    times = list(range(oldest, hi + 1, step))[::-1]
    m = market(request)
    data = []
    for t in times:
        rate = m.funding_rate(NAME, asset, t)
        data.append({"instType": "SWAP", "instId": inst_id, "formulaType": "withRate",
                     "fundingRate": trim(rate, 10), "realizedRate": trim(rate, 8), "fundingTime": str(t),
                     "method": "current_period"})
    return envelope(data)


_BASE = {"alias": "", "auctionEndTime": "", "baseCcy": "", "category": "1", "ctMult": "1", "ctType": "",
         "ctVal": "", "ctValCcy": "", "expTime": "", "instFamily": "", "instId": "", "instType": "", "lever": "",
         "listTime": "", "lotSz": "", "maxIcebergSz": "100000000.0000000000000000", "maxLmtAmt": "20000000",
         "maxLmtSz": "100000000", "maxMktAmt": "", "maxMktSz": "10000", "maxStopSz": "10000",
         "maxTriggerSz": "100000000.0000000000000000", "maxTwapSz": "100000000.0000000000000000", "minSz": "",
         "optType": "", "quoteCcy": "", "ruleType": "normal", "settleCcy": "", "state": "live", "stk": "",
         "tickSz": "", "uly": ""}


def _swaps() -> list[dict]:
    return [dict(_BASE, ctType="linear", ctVal="0.01" if a == "BTC" else "0.1", ctValCcy=a, instFamily=f"{a}-USDT",
                 instId=perp_symbol(NAME, a), instType="SWAP", lever="100", listTime=str(LIST_TIME[a]),
                 lotSz="0.01", minSz="0.01", settleCcy="USDT", tickSz="0.1" if a == "BTC" else "0.01",
                 uly=f"{a}-USDT") for a in ASSETS]


FUTURES_ALIASES = ("this_week", "next_week", "quarter", "next_quarter")


def _futures(now: int) -> list[dict]:
    """Inverse delivery futures: this week, next week, quarter, next quarter (Friday 08:00 UTC)."""
    day = dt.datetime.fromtimestamp(now / 1000, tz=dt.UTC).date()
    fridays = [day + dt.timedelta(days=i) for i in range(0, 400) if (day + dt.timedelta(days=i)).weekday() == 4]
    expiries = [dt.datetime.combine(f, dt.time(8), tzinfo=dt.UTC) for f in fridays]
    expiries = [e for e in expiries if to_ms(e) > now]
    quarters = [e for e in expiries if e.month in (3, 6, 9, 12) and (e + dt.timedelta(days=7)).month != e.month]
    picks = [("this_week", expiries[0]), ("next_week", expiries[1]), ("quarter", quarters[0]),
             ("next_quarter", quarters[1])]
    out = []
    for a in ASSETS:
        for alias, e in picks:
            out.append(dict(_BASE, alias=alias, ctType="inverse", ctVal="100" if a == "BTC" else "10", ctValCcy="USD",
                            expTime=str(to_ms(e)), instFamily=f"{a}-USD", instId=f"{a}-USD-{e:%y%m%d}",
                            instType="FUTURES", lever="100", listTime=str(to_ms(e) - 14 * MS_DAY), lotSz="1",
                            minSz="1", settleCcy=a, tickSz="0.1" if a == "BTC" else "0.01", uly=f"{a}-USD"))
    return out


def _options(request: web.Request, family: str) -> list[dict]:
    asset = family.split("-")[0]
    if family != f"{asset}-USD" or asset not in ASSETS:
        return []
    out = []
    for inst in option_chain_at(market(request).seed, NAME, asset, now_ms(request)):
        out.append(dict(_BASE, ctMult="0.01" if asset == "BTC" else "0.1", ctVal="1", ctValCcy=asset,
                        expTime=str(inst.expiry_ms), instFamily=family, instId=inst.name, instType="OPTION",
                        listTime=str(to_ms(inst.listed_at)), lotSz="1", maxIcebergSz="1000000.0000000000000000",
                        maxLmtSz="1000000", maxMktSz="5000", maxStopSz="5000",
                        maxTriggerSz="1000000.0000000000000000", maxTwapSz="1000000.0000000000000000", minSz="1",
                        optType=inst.kind, settleCcy=asset, stk=trim(inst.strike, 8),
                        tickSz="0.0001" if asset == "BTC" else "0.0005", uly=family))
    return out


async def instruments(request: web.Request) -> web.Response:
    q = request.query
    inst_type = q.get("instType")
    if not inst_type:
        return _missing("instType")
    if inst_type == "SWAP":
        items = _swaps()
    elif inst_type == "FUTURES":
        items = _futures(now_ms(request))
    elif inst_type == "OPTION":
        family = q.get("instFamily") or q.get("uly")
        if not family:
            return _missing("instFamily")
        items = _options(request, family)
    elif inst_type in ("SPOT", "MARGIN"):
        items = []
    else:
        raise Reply(_param_error("instType")())
    if q.get("instFamily") and inst_type != "OPTION":
        items = [i for i in items if i["instFamily"] == q["instFamily"]]
    if q.get("instId"):
        items = [i for i in items if i["instId"] == q["instId"]]
        if not items:
            return _no_instrument()
    return envelope(items)


async def server_time(request: web.Request) -> web.Response:
    return envelope([{"ts": str(now_ms(request))}])


# --- liquidation orders -----------------------------------------------------------------------------------
# How far back the venue still answers: "Retrieve information on liquidation orders in the last day."
# (https://www.okx.com/docs-v5/en/#public-data-rest-api-get-liquidation-orders); relative to the sandbox's clock.
LIQUIDATION_HISTORY_MS = int(contracts.retention("okx", "liquidations").total_seconds() * 1000)  # one day
LIQUIDATION_MAX_LIMIT = contracts.max_limit("okx", "liquidations")
LIQUIDATION_INST_TYPES = ("SWAP", "FUTURES", "MARGIN", "OPTION")


def liquidation_detail(event) -> dict:
    """A market liquidation (sandbox.market.Liquidation) as OKX prints it: `side` is the order's side (a
    liquidated long is sold), `sz` is in contracts of the swap, `bkPx` the bankruptcy price. The websocket
    channel prints the same object."""
    ct_val = next(float(i["ctVal"]) for i in _swaps() if i["instId"] == event.symbol)
    return {"bkLoss": "0", "bkPx": trim(event.price, 2), "ccy": "", "posSide": event.side,
            "side": "sell" if event.side == "long" else "buy", "sz": trim(event.qty / ct_val, 8),
            "ts": str(event.time_ms)}


async def liquidation_orders(request: web.Request) -> web.Response:
    """GET /api/v5/public/liquidation-orders: newest first; `after` asks for orders older than a ts,
    `before` for newer ones; `limit` (<= 100) counts orders (details), grouped by instrument in `data`."""
    q = request.query
    inst_type = q.get("instType")
    if not inst_type:
        return _missing("instType")
    if inst_type not in LIQUIDATION_INST_TYPES:
        raise Reply(_param_error("instType")())
    family = q.get("instFamily") or q.get("uly")
    if inst_type != "MARGIN" and not family:
        return _missing("instFamily")
    # FUTURES orders are asked per delivery alias, which the docs require for that type
    # (https://www.okx.com/docs-v5/en/#public-data-rest-api-get-liquidation-orders)
    if inst_type == "FUTURES" and not q.get("alias"):
        return _missing("alias")
    if inst_type == "FUTURES" and q["alias"] not in FUTURES_ALIASES:
        raise Reply(_param_error("alias")())
    state = q.get("state") or "unfilled"
    if state not in ("filled", "unfilled"):
        raise Reply(_param_error("state")())
    limit = int_param(q.get("limit"), _param_error("limit")) or LIQUIDATION_MAX_LIMIT
    if not 1 <= limit <= LIQUIDATION_MAX_LIMIT:
        raise Reply(_param_error("limit")())
    after = int_param(q.get("after"), _param_error("after"))
    before = int_param(q.get("before"), _param_error("before"))
    now = now_ms(request)
    swaps = [i for i in _swaps() if i["instType"] == inst_type and i["instFamily"] == family]
    if state != "filled" or not swaps:  # pending orders and other families are not simulated
        return envelope([])
    lo = max(now - LIQUIDATION_HISTORY_MS, (before + 1) if before is not None else 0)
    hi = min(now, (after - 1) if after is not None else now)
    m = market(request)
    events = [e for inst in swaps for e in m.liquidations_between(NAME, inst["instId"].split("-")[0], lo, hi)]
    page = sorted(events, key=lambda e: (e.time_ms, e.seq), reverse=True)[:limit]
    data = []
    for inst in swaps:
        details = [liquidation_detail(e) for e in page if e.symbol == inst["instId"]]
        if details:
            data.append({"details": details, "instFamily": family, "instId": inst["instId"], "instType": inst_type,
                         "totalLoss": "0", "uly": family})
    return envelope(data)


def register(app: web.Application) -> None:
    from sandbox.streams import okx as okx_ws  # the venue's websocket (liquidation stream)

    okx_ws.add_routes(app)
    app.router.add_get("/api/v5/public/time", server_time)
    app.router.add_get("/api/v5/public/funding-rate-history", funding_rate_history)
    app.router.add_get("/api/v5/public/instruments", instruments)
    app.router.add_get("/api/v5/public/liquidation-orders", liquidation_orders)
    from sandbox.venues import okx_markets  # open interest history and snapshots

    okx_markets.register(app)
