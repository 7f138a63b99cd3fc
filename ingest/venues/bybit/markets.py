"""Bybit v5 market datasets: open interest history, mark price klines, option chain snapshots.

/v5/market/open-interest answers newest first and pages by `nextPageCursor`; its `openInterest` counts
both sides, `singleOpenInterest` one side (staging keeps one side). Option tickers carry no time of
their own: the envelope's `time` is kept as the observation time (records are read through the whole
body, `$[*].result.list`, so each row can reach it as `parent:$.time`).
"""
from __future__ import annotations

from typing import Any

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._history import MS_HOUR, require_points, windows
from ingest.venues._paging import require_list
from ingest.venues.bybit.api import SOURCE, get_result, perp_symbol

OI_PAGE = 200  # documented maximum
KLINE_PAGE = 1000  # documented maximum for futures
INSTRUMENT_PAGE = 1000
MAX_PAGES = 100  # a bound, not an expectation


def _paged(ctx: FetchContext, path: str, params: dict[str, Any]) -> int:
    """Follow nextPageCursor to the end; returns the number of rows seen."""
    cursor, seen = None, 0
    for _ in range(MAX_PAGES):
        result = get_result(ctx, path, {**params, "cursor": cursor})
        rows = require_list(SOURCE, result.get("list"), f"{path} result.list")
        seen += len(rows)
        nxt = result.get("nextPageCursor") or None
        # a venue with more to give never answers an empty page: one that points on is a page lost, and
        # the later pages would hide it from a count of the whole stream
        if not rows and nxt:
            raise SourceError(f"{SOURCE}: {path} {params.get('baseCoin') or params.get('symbol')} answered an "
                              f"empty page with a next cursor")
        if not nxt:
            return seen
        if nxt == cursor:
            raise SourceError(f"{SOURCE}: {path} repeated its cursor {nxt!r}")
        cursor = nxt
    raise SourceError(f"{SOURCE}: {path} kept returning a cursor after {MAX_PAGES} pages")


def fetch_open_interest(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        seen = _paged(ctx, "/v5/market/open-interest", {
            "category": "linear", "symbol": perp_symbol(asset), "intervalTime": "1h",
            "startTime": ctx.start_ms + 1, "endTime": ctx.end_ms, "limit": OI_PAGE})
        require_points(SOURCE, f"open-interest {asset}", seen)


def fetch_mark_klines(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        seen = 0
        for lo, hi in windows(ctx.start_ms, ctx.end_ms - 1, MS_HOUR, KLINE_PAGE):
            result = get_result(ctx, "/v5/market/mark-price-kline", {
                "category": "linear", "symbol": perp_symbol(asset), "interval": "60", "start": lo, "end": hi,
                "limit": KLINE_PAGE})
            seen += len(require_list(SOURCE, result.get("list"), "mark-price-kline result.list"))
        require_points(SOURCE, f"mark-price-kline {asset}", seen)


def fetch_option_instruments(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        seen = _paged(ctx, "/v5/market/instruments-info", {"category": "option", "baseCoin": asset,
                                                           "limit": INSTRUMENT_PAGE})
        # Bybit always lists options on the configured coins: an empty chain is an outage, not a quiet day
        require_points(SOURCE, f"instruments-info options of {asset}", seen)


def fetch_option_tickers(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        result = get_result(ctx, "/v5/market/tickers", {"category": "option", "baseCoin": asset})
        rows = require_list(SOURCE, result.get("list"), "tickers result.list")
        # every listed option has a ticker, even untraded: no tickers is an outage, not a quiet day
        require_points(SOURCE, f"tickers options of {asset}", len(rows))


DATASETS = [
    Dataset(
        name="open_interest",
        records="$.result.list",
        fields=(
            Field("symbol", "env:$.params.symbol"),
            Field("category", "env:$.params.category"),
            Field("timestamp_ms", "$.timestamp", "BIGINT"),
            Field("open_interest", "$.openInterest", "DOUBLE", min=0),
            Field("single_open_interest", "$.singleOpenInterest", "DOUBLE", required=False, min=0),
        ),
        key=("symbol", "timestamp_ms"),
        fetch=fetch_open_interest,
        description="Hourly open interest of the linear perpetuals (base coins; openInterest is both sides)",
    ),
    Dataset(
        name="mark_price_klines",
        records="$.result.list",
        fields=(
            Field("symbol", "env:$.params.symbol"),
            Field("start_ms", "$[0]", "BIGINT"),
            Field("close_price", "$[4]", "DOUBLE", min=0),
            Field("interval", "env:$.params.interval"),
        ),
        key=("symbol", "start_ms"),
        fetch=fetch_mark_klines,
        description="Hourly mark price klines of the linear perpetuals",
    ),
    Dataset(
        name="option_instruments",
        records="$.result.list",
        fields=(
            Field("symbol", "$.symbol"),
            Field("options_type", "$.optionsType"),
            Field("base_coin", "$.baseCoin"),
            Field("delivery_ms", "$.deliveryTime", "BIGINT"),
            Field("launch_ms", "$.launchTime", "BIGINT", required=False),
            Field("status", "$.status", required=False),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("symbol", "observed_date"),
        fetch=fetch_option_instruments,
        description="Options listed on the run day (type, delivery time)",
    ),
    Dataset(
        name="option_tickers",
        records="$[*].result.list",
        fields=(
            Field("symbol", "$.symbol"),
            Field("open_interest", "$.openInterest", "DOUBLE", min=0),
            Field("mark_price", "$.markPrice", "DOUBLE", required=False),
            Field("index_price", "$.indexPrice", "DOUBLE", required=False),
            Field("underlying_price", "$.underlyingPrice", "DOUBLE", required=False),
            Field("observed_ms", "parent:$.time", "BIGINT"),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("symbol", "observed_date"),
        fetch=fetch_option_tickers,
        description="Option tickers as of the run (open interest in coins), one snapshot per run day",
    ),
]
