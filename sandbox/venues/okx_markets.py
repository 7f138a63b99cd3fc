"""OKX market routes: swap open interest history (rubik) and open interest snapshots.

GET /api/v5/rubik/stat/contracts/open-interest-history answers rows [ts, oi, oiCcy, oiUsd] newest first,
at most `limit` (<= 100); `begin`/`end` are exclusive ("newer than" / "older than"); 1D bars start at
16:00 UTC (midnight UTC+8). GET /api/v5/public/open-interest answers SWAP and OPTION open interest as of
now (oi in contracts, oiCcy in coins); the dated FUTURES are listed but carry no simulated interest, so
they answer no rows.
"""
from __future__ import annotations

from aiohttp import web

from ingest import contracts  # the documented limits: ingest/venues/<venue>/contract.yml, ingest/onchain/*.yml
from sandbox.market import ASSETS, MS_HOUR, MS_MINUTE, perp_symbol
from sandbox.options import option_chain_at
from sandbox.venues._common import Reply, int_param, market, now_ms, trim
from sandbox.venues.okx import LIST_TIME, NAME, _missing, _no_instrument, _options, _param_error, _swaps, envelope

PERIODS = {"5m": 5, "15m": 15, "30m": 30, "1H": 60, "2H": 120, "4H": 240, "6H": 360, "12H": 720, "1D": 1440}
MAX_LIMIT = contracts.max_limit("okx", "open_interest_hist")


def _swap_sizes() -> dict[str, float]:
    """Coins per contract of each swap, as the instruments list states them."""
    return {i["instId"]: float(i["ctVal"]) * float(i["ctMult"]) for i in _swaps()}


def _swap_asset(inst_id: str | None) -> str:
    if not inst_id:
        raise Reply(_missing("instId"))
    for asset in ASSETS:
        if perp_symbol(NAME, asset) == inst_id:
            return asset
    raise Reply(_no_instrument())


async def open_interest_history(request: web.Request) -> web.Response:
    q = request.query
    asset = _swap_asset(q.get("instId"))
    period = q.get("period", "5m")
    if period not in PERIODS:
        raise Reply(_param_error("period")())
    step = PERIODS[period] * MS_MINUTE
    shift = 16 * MS_HOUR if period == "1D" else 0
    limit = int_param(q.get("limit"), _param_error("limit")) or MAX_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise Reply(_param_error("limit")())
    begin = int_param(q.get("begin"), _param_error("begin"))
    end = int_param(q.get("end"), _param_error("end"))
    now = now_ms(request)
    hi = min(now, end - 1 if end is not None else now)
    lo = max(LIST_TIME[asset], begin + 1 if begin is not None else 0)
    last = hi - (hi - shift) % step
    rows = []
    size = _swap_sizes()[perp_symbol(NAME, asset)]
    m = market(request)
    t = last
    while t >= lo and len(rows) < limit:
        contracts = round(m.open_interest(NAME, asset, t) / size, 2)
        coins = contracts * size
        rows.append([str(t), trim(contracts, 2), trim(coins, 8), trim(coins * m.mark_price(asset, t, NAME), 2)])
        t -= step
    return envelope(rows)


async def open_interest(request: web.Request) -> web.Response:
    q = request.query
    inst_type = q.get("instType")
    if not inst_type:
        return _missing("instType")
    now, m = now_ms(request), market(request)
    rows = []
    if inst_type == "SWAP":
        sizes = _swap_sizes()
        for asset in ASSETS:
            inst_id = perp_symbol(NAME, asset)
            if q.get("instId") not in (None, inst_id) or q.get("instFamily") not in (None, f"{asset}-USDT"):
                continue
            contracts = round(m.open_interest(NAME, asset, now) / sizes[inst_id], 2)
            coins = contracts * sizes[inst_id]
            rows.append({"instId": inst_id, "instType": "SWAP", "oi": trim(contracts, 2), "oiCcy": trim(coins, 8),
                         "oiUsd": trim(coins * m.mark_price(asset, now, NAME), 2), "ts": str(now)})
    elif inst_type == "OPTION":
        family = q.get("instFamily") or q.get("uly")
        if not family:
            return _missing("instFamily")
        asset = family.split("-")[0]
        sizes = {i["instId"]: float(i["ctVal"]) * float(i["ctMult"]) for i in _options(request, family)}
        index = m.index_price(asset, now) if asset in ASSETS else 0.0
        for inst in option_chain_at(m.seed, NAME, asset, now) if sizes else []:
            if q.get("instId") not in (None, inst.name):
                continue
            contracts = round(inst.open_interest / sizes[inst.name])
            coins = contracts * sizes[inst.name]
            rows.append({"instId": inst.name, "instType": "OPTION", "oi": str(contracts), "oiCcy": trim(coins, 8),
                         "oiUsd": trim(coins * index, 2), "ts": str(now)})
    elif inst_type != "FUTURES":
        raise Reply(_param_error("instType")())
    return envelope(rows)


def register(app: web.Application) -> None:
    app.router.add_get("/api/v5/rubik/stat/contracts/open-interest-history", open_interest_history)
    app.router.add_get("/api/v5/public/open-interest", open_interest)
