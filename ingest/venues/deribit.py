"""Deribit JSON-RPC over HTTP GET (/api/v2/public/...).

Funding history has one row per hour (`interest_1h`), stamped at the end of its hour; the row does not
name its instrument, so the loader takes it from the request parameters kept in the landed envelope.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field, VenueClock
from ingest.venues._history import require_points  # a day without funding events is an outage

SOURCE = "deribit"


def perp_instrument(asset: str) -> str:
    return f"{asset}-PERPETUAL"


def rpc(ctx: FetchContext, method: str, params: dict[str, Any], *, base_url: str | None = None) -> Any:
    # Deribit answers errors with HTTP 400 and a JSON-RPC error object; both end here.
    body = ctx.client.get_json(f"/api/v2/{method}", params, base_url=base_url, ok_statuses=(200, 400))
    if not isinstance(body, dict) or "error" in body or "result" not in body:
        err = body.get("error") if isinstance(body, dict) else body
        raise SourceError(f"{SOURCE}: {method} error: {err!r}")
    return body["result"]


def fetch_funding_rates(ctx: FetchContext) -> None:
    """The 24 hourly records of the interest that accrued during D: those stamped (D 00:00, D+1 00:00].

    https://docs.deribit.com/api-reference/market-data/public-get_funding_rate_history : one record per
    hour, `prev_index_price` the index at the start of the hour and `index_price` at its end, so a record
    is stamped at the END of its hour. The docs' real example asks start 2019-10-01 00:00 (1569888000000),
    end 04:00 (1569902400000) and gets the records of 01:00, 02:00, 03:00 and 04:00: `start_timestamp` is
    exclusive, `end_timestamp` inclusive. Asking D 00:00 .. D+1 00:00 is therefore exactly D's 24 hours;
    the record of D+1 00:00 (the hour 23:00-24:00 of D) exists when D's run starts at D+1 00:30.
    """
    for asset in ctx.source.assets:
        rows = rpc(ctx, "public/get_funding_rate_history", {
            "instrument_name": perp_instrument(asset), "start_timestamp": ctx.start_ms,
            "end_timestamp": ctx.end_ms})
        if not isinstance(rows, list):
            raise SourceError(f"{SOURCE}: funding history result is not a list")
        require_points(SOURCE, f"funding history {asset}", len(rows))


TRADES_PAGE = 1000
# https://docs.deribit.com/articles/accessing-historical-trades-orders : "Recent trades: Available for 24 hours
# before removal. Historical records: Persist indefinitely." Public trades older than that are served by
# history.deribit.com (the source's `history_base_url`); without it the main host's day is all there is.
TRADES_RETENTION = dt.timedelta(hours=24)


def fetch_future_trades(ctx: FetchContext) -> None:
    """Every future trade of the day (liquidations are the trades with a `liquidation` field).

    Ascending pages; the next page starts at the last page's newest timestamp (inclusive), so trades
    sharing that millisecond are fetched again rather than lost; the loader's key drops the repeats.
    The main host keeps 24 hours of trades: `history_base_url` (history.deribit.com) serves the archive.
    The futures of a currency never go a whole day without a trade: an empty day fails the dataset (an
    outage, or a host that no longer serves the day), so the day does not count as covered.
    """
    base = ctx.source.extra.get("history_base_url")
    silent = []
    clock = VenueClock(ctx)
    for asset in ctx.source.assets:
        start, seen = ctx.start_ms, 0
        while True:
            result = rpc(ctx, "public/get_last_trades_by_currency_and_time", {
                "currency": asset, "kind": "future", "start_timestamp": start, "end_timestamp": ctx.end_ms - 1,
                "count": TRADES_PAGE, "sorting": "asc"}, base_url=base)
            clock.tick()
            trades = result.get("trades") if isinstance(result, dict) else None
            if not isinstance(trades, list):
                raise SourceError(f"{SOURCE}: trades result without a trades list")
            stamps = [int(t["timestamp"]) for t in trades if isinstance(t, dict)
                      and isinstance(t.get("timestamp"), (int, float))]
            seen += len(stamps)
            if not result.get("has_more") or not stamps:
                break
            nxt = max(stamps)
            if nxt <= start:  # a whole page in one millisecond: step past it and say so
                ctx.notes.setdefault("future_trades_ms_skipped", []).append(start)
                nxt = start + 1
            start = nxt
        if not seen:
            silent.append(asset)
    # the history host keeps every trade; the main host one day (TRADES_RETENTION)
    clock.record(None if base else TRADES_RETENTION)
    if silent:
        raise SourceError(f"{SOURCE}: no future trades for {', '.join(silent)} on {ctx.day}: an outage, or a "
                          "day the host no longer serves")


DATASETS = [
    Dataset(
        name="funding_rates",
        records="$.result",
        fields=(
            Field("instrument_name", "env:$.params.instrument_name"),
            Field("timestamp_ms", "$.timestamp", "BIGINT"),
            Field("interest_1h", "$.interest_1h", "DOUBLE", min=-0.05, max=0.05),
            Field("interest_8h", "$.interest_8h", "DOUBLE", required=False),
            Field("index_price", "$.index_price", "DOUBLE"),  # always sent: a drifted one is quarantined
        ),
        key=("instrument_name", "timestamp_ms"),
        fetch=fetch_funding_rates,
        description="Hourly funding of the perpetuals",
    ),
    Dataset(
        name="future_trades",
        records="$.result.trades",
        fields=(
            Field("currency", "env:$.params.currency"),
            Field("trade_id", "$.trade_id"),
            Field("trade_seq", "$.trade_seq", "BIGINT"),  # always sent: a drifted one is quarantined
            Field("instrument_name", "$.instrument_name"),
            Field("timestamp_ms", "$.timestamp", "BIGINT"),
            Field("price", "$.price", "DOUBLE", min=1e-12),
            Field("amount", "$.amount", "DOUBLE", min=1e-12),  # USD for inverse futures, coins for linear
            Field("direction", "$.direction"),  # the taker's side
            Field("liquidation", "$.liquidation", required=False),  # M, T or MT; absent for ordinary trades
            Field("index_price", "$.index_price", "DOUBLE", required=False),
            Field("mark_price", "$.mark_price", "DOUBLE", required=False),
            Field("contracts", "$.contracts", "DOUBLE", required=False),
        ),
        key=("currency", "trade_id"),  # trade ids are unique per currency
        fetch=fetch_future_trades,
        description="Trades of the futures and perpetuals; the liquidation flag marks forced ones",
        retention=TRADES_RETENTION,  # of the main host; none on the history host (history_base_url)
        retention_doc="https://docs.deribit.com/articles/accessing-historical-trades-orders: \"Recent trades: "
                      "Available for 24 hours before removal. Historical records: Persist indefinitely.\"",
    ),
]

# Open interest, prices and options live in their own module (ingest/venues/deribit_markets.py).
from ingest.venues.deribit_markets import DATASETS as _MARKET_DATASETS  # noqa: E402

DATASETS += _MARKET_DATASETS

# The websocket channel of liquidations (ingest.stream lands it): ingest/venues/liquidations_ws.py.
from ingest.venues.liquidations_ws import DERIBIT as _LIQUIDATIONS_WS  # noqa: E402

DATASETS.append(_LIQUIDATIONS_WS)
