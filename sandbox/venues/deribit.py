"""Deribit API v2 (JSON-RPC over HTTP GET), mounted under /deribit.

Funding: GET /api/v2/public/get_funding_rate_history gives one row per hour stamped at the END of its hour,
for the stamps in (start, end] (ascending), as the docs' real example shows (start 00:00, end 04:00 answers
01:00..04:00; https://docs.deribit.com/api-reference/market-data/public-get_funding_rate_history):
interest_1h is that hour's funding, interest_8h the sum of the last eight hours, prev_index_price the index
at the start of the hour and index_price at its end. Numbers are JSON numbers.
Every answer carries usIn/usOut/usDiff (taken from the simulated clock, so answers stay reproducible).
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from aiohttp import web

from ingest import contracts  # the documented limits: ingest/venues/<venue>/contract.yml, ingest/onchain/*.yml
from sandbox import market as market_model
from sandbox import rng
from sandbox.market import ASSETS, MS_HOUR, UTC, perp_symbol, to_ms
from sandbox.options import LISTING_WINDOW_DAYS, expiry_category, option_chain_at
from sandbox.venues._common import Reply, int_param, json_response, market, now_ms

NAME = "deribit"
PERPETUAL_EXPIRY = 32503708800000  # Deribit's "never" for perpetuals
CURRENCIES = ("BTC", "ETH", "USDC", "USDT", "EURR", "any")
KINDS = ("future", "option", "spot", "future_combo", "option_combo")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def envelope(request: web.Request, body: dict, status: int = 200) -> web.Response:
    us_in = now_ms(request) * 1000
    doc = {"jsonrpc": "2.0"}
    if request.query.get("id"):
        doc["id"] = int(request.query["id"]) if request.query["id"].isdigit() else request.query["id"]
    doc.update(body)
    doc.update({"usIn": us_in, "usOut": us_in + 150, "usDiff": 150, "testnet": False})
    return json_response(doc, status=status)


def error(request: web.Request, code: int, message: str, data: dict | None = None, status: int = 400) -> web.Response:
    err = {"message": message, "code": code}
    if data:
        err = {"message": message, "data": data, "code": code}
    return envelope(request, {"error": err}, status=status)


def invalid(request: web.Request, param: str, reason: str) -> web.Response:
    return error(request, -32602, "Invalid params", {"reason": reason, "param": param})


def throttled(request: web.Request, retry_after: float) -> web.Response:
    resp = error(request, 10028, "too_many_requests", status=429)
    resp.headers["Retry-After"] = str(int(retry_after))
    return resp


def server_error(request: web.Request, status: int) -> web.Response:
    return error(request, 11094, "internal_server_error", status=status)


def _required_int(request: web.Request, name: str) -> int:
    value = int_param(request.query.get(name), lambda: invalid(request, name, "wrong format"))
    if value is None:
        raise Reply(invalid(request, name, "missing"))
    return value


async def get_funding_rate_history(request: web.Request) -> web.Response:
    name = request.query.get("instrument_name")
    if not name:
        return invalid(request, "instrument_name", "missing")
    asset = next((a for a in ASSETS if perp_symbol(NAME, a) == name), None)
    if asset is None:
        return invalid(request, "instrument_name", "instrument not found")
    start = _required_int(request, "start_timestamp")
    end = min(_required_int(request, "end_timestamp"), now_ms(request))
    m = market(request)
    first = start // MS_HOUR * MS_HOUR + MS_HOUR  # the first hour end strictly after start
    hours = list(range(first, end + 1, MS_HOUR))
    rates = {t: m.funding_rate(NAME, asset, t) for t in range(first - 7 * MS_HOUR, end + 1, MS_HOUR)}
    rows = []
    for t in hours:
        rows.append({"timestamp": t, "index_price": round(m.index_price(asset, t), 2),
                     "prev_index_price": round(m.index_price(asset, t - MS_HOUR), 2),
                     "interest_8h": round(sum(rates[t - i * MS_HOUR] for i in range(8)), 10),
                     "interest_1h": rates[t]})
    return envelope(request, {"result": rows})


def _instrument_id(name: str) -> int:
    return int(rng.hex_id(0, "deribit-instrument", name, length=8), 16) % 400_000_000 + 100_000


def _future(asset: str, name: str, expiry_ms: int, created_ms: int, period: str) -> dict:
    btc = asset == "BTC"
    return {
        "tick_size": 0.5 if btc else 0.05, "tick_size_steps": [], "taker_commission": 0.0005,
        "settlement_period": period, "settlement_currency": asset, "rfq": False, "quote_currency": "USD",
        "price_index": f"{asset.lower()}_usd", "min_trade_amount": 10.0 if btc else 1.0,
        "max_liquidation_commission": 0.0075, "max_leverage": 50, "maker_commission": 0.0, "kind": "future",
        "is_active": True, "instrument_name": name, "instrument_id": _instrument_id(name),
        "future_type": "reversed", "instrument_type": "reversed", "expiration_timestamp": expiry_ms,
        "creation_timestamp": created_ms, "counter_currency": "USD", "contract_size": 10.0 if btc else 1.0,
        "block_trade_tick_size": 0.01, "block_trade_min_trade_amount": 200000, "block_trade_commission": 0.00025,
        "base_currency": asset,
    }


def _futures(asset: str, now: int) -> list[dict]:
    out = [_future(asset, perp_symbol(NAME, asset), PERPETUAL_EXPIRY, 1534242287000, "perpetual")]
    day = dt.datetime.fromtimestamp(now / 1000, tz=UTC).date()
    for i in range(0, LISTING_WINDOW_DAYS["quarterly"] + 1):
        expiry = dt.datetime.combine(day + dt.timedelta(days=i), dt.time(8), tzinfo=UTC)
        category = expiry_category(expiry)
        if category == "daily" or to_ms(expiry) <= now:
            continue
        if (to_ms(expiry) - now) > LISTING_WINDOW_DAYS[category] * 86_400_000:
            continue
        name = f"{asset}-{expiry.day}{_MONTHS[expiry.month - 1]}{expiry:%y}"
        created = to_ms(expiry - dt.timedelta(days=LISTING_WINDOW_DAYS[category]))
        out.append(_future(asset, name, to_ms(expiry), created, "week" if category == "weekly" else "month"))
    return out


def _option(inst) -> dict:
    period = {"daily": "day", "weekly": "week"}.get(inst.category, "month")
    return {
        "tick_size": 0.0001, "tick_size_steps": [{"above_price": 0.005, "tick_size": 0.0005}],
        "taker_commission": 0.0003, "max_liquidation_commission": 0.0075,
        "strike": inst.strike, "settlement_period": period, "settlement_currency": inst.asset, "rfq": False,
        "quote_currency": inst.asset, "price_index": f"{inst.asset.lower()}_usd",
        "option_type": "call" if inst.kind == "C" else "put",
        "min_trade_amount": 0.1 if inst.asset == "BTC" else 1.0, "max_leverage": 1, "maker_commission": 0.0003,
        "kind": "option", "is_active": True, "instrument_name": inst.name, "instrument_id": _instrument_id(inst.name),
        "instrument_type": "reversed", "expiration_timestamp": inst.expiry_ms,
        "creation_timestamp": to_ms(inst.listed_at), "counter_currency": "USD", "contract_size": 1.0,
        "block_trade_tick_size": 0.0001, "block_trade_min_trade_amount": 25, "block_trade_commission": 0.00015,
        "base_currency": inst.asset,
    }


async def get_instruments(request: web.Request) -> web.Response:
    q = request.query
    currency = q.get("currency")
    if not currency:
        return invalid(request, "currency", "missing")
    if currency not in CURRENCIES:
        return invalid(request, "currency", "must be one of " + ", ".join(CURRENCIES))
    kind = q.get("kind")
    if kind is not None and kind not in KINDS:
        return invalid(request, "kind", "must be one of " + ", ".join(KINDS))
    if q.get("expired") == "true":  # expired instruments are not simulated
        return envelope(request, {"result": []})
    now = now_ms(request)
    assets = [a for a in ASSETS if currency in (a, "any")]
    result = []
    for asset in assets:
        if kind in (None, "future"):
            result.extend(_futures(asset, now))
        if kind in (None, "option"):
            result.extend(_option(i) for i in option_chain_at(market(request).seed, NAME, asset, now))
    return envelope(request, {"result": result})


async def get_time(request: web.Request) -> web.Response:
    return envelope(request, {"result": now_ms(request)})


async def test(request: web.Request) -> web.Response:
    return envelope(request, {"result": {"version": "1.2.26"}})


# --- trades, liquidations among them --------------------------------------------------------------------
TRADES_MAX_COUNT = contracts.max_limit("deribit", "future_trades")
TRADES_KEPT_MS = 31 * 86_400_000  # the sandbox answers a month back (the venue's history host: everything)
_TRADE_TICK = {"BTC": 0.5, "ETH": 0.05}
_CONTRACT_USD = {"BTC": 10.0, "ETH": 1.0}
_TAKER_FORCED_SHARE = 0.7  # most forced orders take liquidity; the rest rest on the book and are hit
_ORDINARY_SEQ = 5_000_000  # ordinary trades number after the day's liquidations (ev.seq) in the same range


def liquidation_trade(seed: int, event) -> dict:
    """How a market liquidation (sandbox.market.Liquidation) prints as a Deribit perpetual trade, on REST
    exactly as on the websocket trades channel (sandbox.streams.deribit): same id, price, amount, flags.

    `liquidation` names the forced side ("T" taker, "M" maker) and `direction` is the taker's side, so a
    liquidated long shows as T + sell or M + buy. `amount` is USD in whole contracts (inverse perpetual).
    """
    taker = rng.uniform(seed, "deribit-liq-role", event.id) < _TAKER_FORCED_SHARE
    forced_sells = event.side == "long"
    taker_sells = forced_sells if taker else not forced_sells
    size = _CONTRACT_USD[event.asset]
    index = round(market_model.index_price(seed, event.asset, event.time_ms), 2)
    amount = float(max(size, round(event.qty * event.price / size) * size))
    return {"trade_seq": event.seq, "trade_id": str(event.seq), "timestamp": event.time_ms, "tick_direction": 2,
            "price": event.price, "mark_price": index, "index_price": index, "instrument_name": event.symbol,
            "direction": "sell" if taker_sells else "buy", "amount": amount, "contracts": float(amount // size),
            "liquidation": "T" if taker else "M"}


@lru_cache(maxsize=256)
def day_trades(seed: int, asset: str, day: dt.date) -> tuple[dict, ...]:
    """Every trade of the perpetual on a day, in time order: the market's liquidations plus ordinary flow."""
    rows = [liquidation_trade(seed, e) for e in market_model.liquidations(seed, NAME, asset, day)]
    symbol, tick, size = perp_symbol(NAME, asset), _TRADE_TICK[asset], _CONTRACT_USD[asset]
    base_seq = ((day - market_model.PRICE_ORIGIN).days * 2 + ASSETS.index(asset)) * 10**7 + _ORDINARY_SEQ
    gen = rng.stream(seed, "deribit-trades", asset, day)
    start = market_model.day_start_ms(day)
    ordinary = sorted(start + int(gen.random() * market_model.MS_DAY) for _ in range(gen.randint(200, 400)))
    prev = None
    for j, t in enumerate(ordinary):
        buy = gen.random() < 0.5
        index = market_model.index_price(seed, asset, t)
        price = round(round(index * (1 + (1 if buy else -1) * 0.0003 * gen.random()) / tick) * tick, 2)
        amount = size * gen.randint(1, 400)
        rows.append({"trade_seq": base_seq + j, "trade_id": str(base_seq + j), "timestamp": t,
                     "tick_direction": 1 if prev is None or price == prev else (0 if price > prev else 2),
                     "price": price, "mark_price": round(market_model.mark_price(seed, asset, t, NAME), 2),
                     "index_price": round(index, 2), "instrument_name": symbol, "direction": "buy" if buy else "sell",
                     "amount": amount, "contracts": amount / size})
        prev = price
    return tuple(sorted(rows, key=lambda r: (r["timestamp"], r["trade_seq"])))


async def get_last_trades_by_currency_and_time(request: web.Request) -> web.Response:
    """Trades in [start_timestamp, end_timestamp] (both inclusive); `count` (<= 1000) of them, the oldest
    first with sorting=asc, else the newest first; `has_more` says the window holds more."""
    q = request.query
    currency = q.get("currency")
    if not currency:
        return invalid(request, "currency", "missing")
    if currency not in CURRENCIES or currency == "any":
        return invalid(request, "currency", "must be one of " + ", ".join(c for c in CURRENCIES if c != "any"))
    kind = q.get("kind")
    if kind is not None and kind not in (*KINDS, "combo", "any"):
        return invalid(request, "kind", "must be one of " + ", ".join((*KINDS, "combo", "any")))
    start = int_param(q.get("start_timestamp"), lambda: invalid(request, "start_timestamp", "wrong format"))
    end = int_param(q.get("end_timestamp"), lambda: invalid(request, "end_timestamp", "wrong format"))
    if start is None and end is None:
        return invalid(request, "start_timestamp", "missing")
    count = int_param(q.get("count"), lambda: invalid(request, "count", "wrong format"))
    count = 10 if count is None else count
    if not 1 <= count <= TRADES_MAX_COUNT:
        return invalid(request, "count", f"must be between 1 and {TRADES_MAX_COUNT}")
    sorting = q.get("sorting") or "default"
    if sorting not in ("asc", "desc", "default"):
        return invalid(request, "sorting", "must be one of asc, desc, default")
    now = now_ms(request)
    hi = min(end if end is not None else now, now)
    lo = max(start if start is not None else 0, hi - TRADES_KEPT_MS)
    window: list[dict] = []
    if currency in ASSETS and kind in (None, "future", "any") and lo <= hi:
        seed, day = market(request).seed, market_model.day_of(lo)
        while market_model.day_start_ms(day) <= hi:
            window.extend(r for r in day_trades(seed, currency, day) if lo <= r["timestamp"] <= hi)
            day += dt.timedelta(days=1)
    page = window[:count] if sorting == "asc" else window[::-1][:count]
    return envelope(request, {"result": {"trades": page, "has_more": len(window) > count}})


def register(app: web.Application) -> None:
    from sandbox.streams import deribit as deribit_ws  # the venue's websocket (liquidation stream)

    deribit_ws.add_routes(app)
    app.router.add_get("/api/v2/public/get_time", get_time)
    app.router.add_get("/api/v2/public/test", test)
    app.router.add_get("/api/v2/public/get_funding_rate_history", get_funding_rate_history)
    app.router.add_get("/api/v2/public/get_instruments", get_instruments)
    app.router.add_get("/api/v2/public/get_last_trades_by_currency_and_time", get_last_trades_by_currency_and_time)
    from sandbox.venues import deribit_markets  # tickers and book summaries (open interest)

    deribit_markets.register(app)

