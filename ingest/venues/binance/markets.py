"""Binance market datasets: open interest history, mark/index price klines (fapi) and options (eapi).

GET /futures/data/openInterestHist keeps only the last 30 days: D must be fetched within a month.
Options live on another host (`options_base_url`). /eapi/v1/openInterest answers one expiry at a time,
so the expiries come from /eapi/v1/exchangeInfo, which the `option_symbols` dataset lands first in the
same run and hands over (the option open interest dataset cannot ask for it itself: the answer would
land among its own records).
"""
from __future__ import annotations

import datetime as dt

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._history import MS_HOUR, require_points, windows
from ingest.venues._paging import require_list
from ingest.venues.binance.api import SOURCE, check_list, perp_symbol

OI_PAGE = 500  # documented maximum of openInterestHist
KLINE_PAGE = 1500  # documented maximum of the price kline endpoints
EXPIRIES = "binance_option_expiries"  # handover: expiries (ms) per underlying asset, from option_symbols


def fetch_open_interest(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        seen = 0
        for lo, hi in windows(ctx.start_ms + 1, ctx.end_ms, MS_HOUR, OI_PAGE):
            seen += len(check_list(ctx.client.get_json("/futures/data/openInterestHist", {
                "symbol": perp_symbol(asset), "period": "1h", "startTime": lo, "endTime": hi, "limit": OI_PAGE}),
                "openInterestHist"))
        require_points(SOURCE, f"openInterestHist {asset}", seen)


def _fetch_klines(ctx: FetchContext, path: str, key: str) -> None:
    # 1h klines of the day; the 23:00 kline closes at the day's close
    for asset in ctx.source.assets:
        seen = 0
        for lo, hi in windows(ctx.start_ms, ctx.end_ms - 1, MS_HOUR, KLINE_PAGE):
            seen += len(check_list(ctx.client.get_json(path, {
                key: perp_symbol(asset), "interval": "1h", "startTime": lo, "endTime": hi, "limit": KLINE_PAGE}),
                path))
        require_points(SOURCE, f"{path} {asset}", seen)


def fetch_mark_klines(ctx: FetchContext) -> None:
    _fetch_klines(ctx, "/fapi/v1/markPriceKlines", "symbol")


def fetch_index_klines(ctx: FetchContext) -> None:
    _fetch_klines(ctx, "/fapi/v1/indexPriceKlines", "pair")


def fetch_option_symbols(ctx: FetchContext) -> None:
    base = ctx.source.url("options_base_url")
    body = ctx.client.get_json("/eapi/v1/exchangeInfo", base_url=base)
    if not isinstance(body, dict) or "code" in body:
        raise SourceError(f"{SOURCE}: eapi exchangeInfo error: {str(body)[:200]!r}")
    symbols = require_list(SOURCE, body.get("optionSymbols"), "optionSymbols")
    expiries: dict[str, set[int]] = {}
    for s in symbols:
        if isinstance(s, dict) and str(s.get("expiryDate", "")).isdigit():
            asset = str(s.get("underlying", ""))[:-4] if str(s.get("underlying", "")).endswith("USDT") else None
            if asset in ctx.source.assets:
                expiries.setdefault(asset, set()).add(int(s["expiryDate"]))
    # Binance always lists options on every configured asset: none is an outage, not a quiet day. Checked
    # before the hand-over, as a 5xx would stop it: open interest is never handed an empty listing.
    for asset in ctx.source.assets:
        require_points(SOURCE, f"eapi exchangeInfo options of {asset}", len(expiries.get(asset, ())))
    ctx.handover[EXPIRIES] = {a: sorted(v) for a, v in expiries.items()}
    ctx.notes["expiries"] = {a: len(v) for a, v in expiries.items()}


def fetch_option_open_interest(ctx: FetchContext) -> None:
    base = ctx.source.url("options_base_url")
    expiries = ctx.needs(EXPIRIES, "option_symbols", "option expiries")
    for asset in ctx.source.assets:
        for expiry_ms in expiries.get(asset, []):
            expiration = dt.datetime.fromtimestamp(expiry_ms / 1000, dt.UTC).strftime("%y%m%d")
            rows = check_list(ctx.client.get_json("/eapi/v1/openInterest", {"underlyingAsset": asset,
                                                                          "expiration": expiration},
                                              base_url=base), "openInterest")
            # a listed expiry answers a row per option even at 0 OI: an empty answer is an outage
            require_points(SOURCE, f"openInterest {asset} expiry {expiration}", len(rows))


DATASETS = [
    Dataset(
        name="open_interest_hist",
        records="$",
        fields=(
            Field("symbol", "$.symbol"),
            Field("timestamp_ms", "$.timestamp", "BIGINT"),
            Field("sum_open_interest", "$.sumOpenInterest", "DOUBLE", min=0),
            Field("sum_open_interest_value", "$.sumOpenInterestValue", "DOUBLE", required=False, min=0),
        ),
        key=("symbol", "timestamp_ms"),
        fetch=fetch_open_interest,
        description="Hourly open interest of the USD-M perpetuals (base coins, one side)",
    ),
    Dataset(
        name="mark_price_klines",
        records="$",
        fields=(
            Field("symbol", "env:$.params.symbol"),
            Field("open_time_ms", "$[0]", "BIGINT"),
            Field("close_price", "$[4]", "DOUBLE", min=0),
            Field("close_time_ms", "$[6]", "BIGINT"),
        ),
        key=("symbol", "open_time_ms"),
        fetch=fetch_mark_klines,
        description="Hourly mark price klines of the perpetuals",
    ),
    Dataset(
        name="index_price_klines",
        records="$",
        fields=(
            Field("pair", "env:$.params.pair"),
            Field("open_time_ms", "$[0]", "BIGINT"),
            Field("close_price", "$[4]", "DOUBLE", min=0),
            Field("close_time_ms", "$[6]", "BIGINT"),
        ),
        key=("pair", "open_time_ms"),
        fetch=fetch_index_klines,
        description="Hourly index price klines of the perpetuals' pairs",
    ),
    Dataset(
        name="option_symbols",
        records="$.optionSymbols",
        fields=(
            Field("symbol", "$.symbol"),
            Field("underlying", "$.underlying"),
            Field("side", "$.side"),
            Field("strike_price", "$.strikePrice", "DOUBLE", min=0),
            Field("expiry_ms", "$.expiryDate", "BIGINT"),
            Field("unit", "$.unit", "DOUBLE", min=0),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("symbol", "observed_date"),
        fetch=fetch_option_symbols,
        description="European options listed on the run day (strike, side, expiry, unit)",
    ),
    Dataset(
        name="option_open_interest",
        records="$",
        fields=(
            Field("symbol", "$.symbol"),
            Field("sum_open_interest", "$.sumOpenInterest", "DOUBLE", min=0),
            Field("sum_open_interest_usd", "$.sumOpenInterestUsd", "DOUBLE", required=False),
            Field("timestamp_ms", "$.timestamp", "BIGINT"),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("symbol", "observed_date"),
        fetch=fetch_option_open_interest,
        description="Open interest of every listed option, one snapshot per run day (contracts)",
    ),
]
