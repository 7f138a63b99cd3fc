"""Coinalyze (api.coinalyze.net/v1), mounted under /coinalyze: per-market history across exchanges.

Every call needs the key, in the `api_key` header (or query parameter); without it: 401. Markets are named
`<market>.<exchange code>` (BTCUSDT_PERP.A is Binance's BTCUSDT); /exchanges maps codes to names and
/future-markets lists the markets with the venue's own symbol. History endpoints take `symbols` (comma
separated, at most 20), `interval` (1min .. daily), `from` and `to` in UNIX seconds, and answer
[{"symbol", "history": [...]}] with `t` in seconds: liquidations {t, l, s} (long / short positions
liquidated), open interest and funding as OHLC {t, o, h, l, c}. Quantities are in the unit the market
lists in `oi_lq_vol_denominated_in` unless `convert_to_usd=true`; funding rates are in percent per the
market's own funding interval (0.01 = 0.01 %).
"""
from __future__ import annotations

from aiohttp import web

from ingest import contracts  # the documented limits: ingest/venues/<venue>/contract.yml, ingest/onchain/*.yml
from sandbox import market as mk
from sandbox.aggregators._common import candle_starts, factor, funding_in_force, hours_in, ohlc, oi_coins
from sandbox.venues._common import int_param, json_response, market, now_ms

NAME = "coinalyze"
MAX_SYMBOLS = contracts.max_limit("coinalyze", "liquidation_history")
# intraday candles (1min .. 12hour) are kept for this many points back from now; daily ones for good
INTRADAY_POINTS = contracts.contract("coinalyze", "funding_rate_history")["retention"]["intraday_points"]
INTERVAL_MIN = {"1min": 1, "5min": 5, "15min": 15, "30min": 30, "1hour": 60, "2hour": 120, "4hour": 240,
                "6hour": 360, "12hour": 720, "daily": 1440}
EXCHANGES = [{"name": "BitMEX", "code": "0"}, {"name": "Deribit", "code": "2"}, {"name": "OKX", "code": "3"},
             {"name": "Bybit", "code": "6"}, {"name": "Binance", "code": "A"}, {"name": "Coinbase", "code": "C"},
             {"name": "Hyperliquid", "code": "H"}, {"name": "Kraken", "code": "K"}]
CODE = {"bitmex": "0", "deribit": "2", "okx": "3", "bybit": "6", "binance": "A", "hyperliquid": "H"}
INVERSE = {"deribit", "bitmex"}  # USD-margined: open interest and liquidations counted in USD


def _perp_market(venue: str, asset: str) -> dict:
    on_exchange = mk.perp_symbol(venue, asset)
    quote = "USDT" if venue in ("binance", "bybit", "okx") else "USD"
    name = {"binance": f"{asset}USDT_PERP", "bybit": f"{asset}USDT", "okx": f"{asset}USDT_PERP",
            "deribit": f"{asset}-PERPETUAL", "bitmex": f"{asset}USD_PERP", "hyperliquid": asset}[venue]
    return {"symbol": f"{name}.{CODE[venue]}", "exchange": CODE[venue], "symbol_on_exchange": on_exchange,
            "base_asset": asset, "quote_asset": quote, "is_perpetual": True,
            "margined": "INVERSE" if venue in INVERSE else "STABLE", "expire_at": None,
            "oi_lq_vol_denominated_in": "QUOTE_ASSET" if venue in INVERSE else "BASE_ASSET",
            "has_long_short_ratio_data": venue in ("binance", "bybit", "okx"), "has_ohlcv_data": True,
            "has_buy_sell_data": venue != "deribit"}


def _other_markets() -> list[dict]:
    """Markets a client must not mistake for the perpetuals it wants."""
    out = []
    for asset in mk.ASSETS:
        out.append({**_perp_market("binance", asset), "symbol": f"{asset}USD_PERP.A",
                    "symbol_on_exchange": f"{asset}USD_PERP", "quote_asset": "USD", "margined": "INVERSE",
                    "oi_lq_vol_denominated_in": "QUOTE_ASSET"})
        out.append({**_perp_market("binance", asset), "symbol": f"{asset}USDT_261225.A",
                    "symbol_on_exchange": f"{asset}USDT_261225", "is_perpetual": False, "expire_at": 1798185600000})
        out.append({**_perp_market("hyperliquid", asset), "symbol": f"pf_{asset.lower()}usd.K", "exchange": "K",
                    "symbol_on_exchange": f"PF_{asset}USD"})
    return out


MARKETS = [_perp_market(v, a) for v in mk.PERP_VENUES for a in mk.ASSETS] + _other_markets()
BY_SYMBOL = {m["symbol"]: m for m in MARKETS}
VENUE_OF_CODE = {code: venue for venue, code in CODE.items()}


def error(message: str, status: int = 400) -> web.Response:
    return json_response({"message": message}, status=status)


def throttled(request: web.Request, retry_after: float) -> web.Response:
    resp = error("Too many requests", status=429)
    resp.headers["Retry-After"] = str(max(1, int(retry_after)))
    return resp


def server_error(request: web.Request, status: int) -> web.Response:
    return error("Internal server error", status=status)


def _authorized(request: web.Request) -> bool:
    return bool(request.headers.get("api_key") or request.query.get("api_key"))


def _target(symbol: str) -> tuple[str, str] | None:
    """(venue, asset) of a simulated perpetual market, None for any other market."""
    m = BY_SYMBOL.get(symbol)
    venue = VENUE_OF_CODE.get(m["exchange"]) if m else None
    if not m or not venue or not m["is_perpetual"] or m["symbol_on_exchange"] != mk.perp_symbol(venue, m["base_asset"]):
        return None
    return venue, m["base_asset"]


def _history_params(request: web.Request) -> tuple[list[str], int, int, int] | web.Response:
    q = request.query
    symbols = [s for s in (q.get("symbols") or "").split(",") if s]
    if not symbols:
        return error("symbols is required")
    if len(symbols) > MAX_SYMBOLS:
        return error(f"Too many symbols, max {MAX_SYMBOLS}")
    if q.get("interval") not in INTERVAL_MIN:
        return error(f"interval must be one of: {', '.join(INTERVAL_MIN)}")
    bounds = []
    for name in ("from", "to"):
        value = int_param(q.get(name), lambda n=name: error(f"{n} must be a UNIX timestamp in seconds"))
        if value is None:
            return error(f"{name} is required")
        bounds.append(value)
    return symbols, INTERVAL_MIN[q["interval"]] * mk.MS_MINUTE, bounds[0] * 1000, bounds[1] * 1000


def _usd(q) -> bool:
    return str(q.get("convert_to_usd", "false")).lower() == "true"


async def exchanges(request: web.Request) -> web.Response:
    return json_response(EXCHANGES) if _authorized(request) else error("Unauthorized", 401)


async def future_markets(request: web.Request) -> web.Response:
    return json_response(MARKETS) if _authorized(request) else error("Unauthorized", 401)


async def _history(request: web.Request, row) -> web.Response:
    if not _authorized(request):
        return error("Unauthorized", 401)
    parsed = _history_params(request)
    if isinstance(parsed, web.Response):
        return parsed
    symbols, step, start, end = parsed
    now, seed, k = now_ms(request), market(request).seed, factor(request, NAME)
    out = []
    for symbol in symbols:
        target = _target(symbol)
        if target is None:
            continue  # unknown markets are left out, as the real API does
        history = []
        kept_from = now - INTRADAY_POINTS * step if step < mk.MS_DAY else None
        for t in candle_starts(start, end, step, now):
            if kept_from is not None and t < kept_from:
                continue  # deleted by the venue: the answer is silent about it, as the real one is
            values = row(seed, *target, t, min(t + step, now), request.query)
            history.append({"t": t // 1000, **{key: round(v * k, 8) for key, v in values.items()}})
        out.append({"symbol": symbol, "history": history})
    return json_response(out)


def _liquidation_row(seed: int, venue: str, asset: str, t: int, end: int, q) -> dict:
    usd = _usd(q) or venue in INVERSE
    sums = {"long": 0.0, "short": 0.0}
    for e in mk.liquidations_between(seed, venue, asset, t, end - 1):
        sums[e.side] += e.usd if usd else e.qty
    return {"l": sums["long"], "s": sums["short"]}


def _oi_row(seed: int, venue: str, asset: str, t: int, end: int, q) -> dict:
    usd = _usd(q) or venue in INVERSE
    points = [oi_coins(seed, venue, asset, h) * (mk.index_price(seed, asset, h) if usd else 1.0)
              for h in [t, *hours_in(t + 1, end)]]
    return ohlc(points)


def _funding_row(seed: int, venue: str, asset: str, t: int, end: int, q) -> dict:
    # The rate in force on each hour of the candle; the last sample is the candle's final hour.
    hours = [h for h in hours_in(t, end) if h < end] or [t]
    return ohlc([funding_in_force(seed, venue, asset, h)[0] * 100 for h in hours])


async def liquidation_history(request: web.Request) -> web.Response:
    return await _history(request, _liquidation_row)


async def open_interest_history(request: web.Request) -> web.Response:
    return await _history(request, _oi_row)


async def funding_rate_history(request: web.Request) -> web.Response:
    return await _history(request, _funding_row)


def register(app: web.Application) -> None:
    app.router.add_get("/v1/exchanges", exchanges)
    app.router.add_get("/v1/future-markets", future_markets)
    app.router.add_get("/v1/liquidation-history", liquidation_history)
    app.router.add_get("/v1/open-interest-history", open_interest_history)
    app.router.add_get("/v1/funding-rate-history", funding_rate_history)
