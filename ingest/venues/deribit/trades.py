"""Deribit future trades over REST; liquidations are the trades with a `liquidation` flag.

The websocket channel (ws.py) pushes the same trades: the fields they share are defined once here.
"""
from __future__ import annotations

import datetime as dt

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field, VenueClock
from ingest.venues.deribit.api import SOURCE, rpc

TRADE_ID = Field("trade_id", "$.trade_id")
# a trade as both channels carry it, in the order both raw tables keep
TRADE_FIELDS = (
    Field("instrument_name", "$.instrument_name"),
    Field("timestamp_ms", "$.timestamp", "BIGINT"),
    Field("price", "$.price", "DOUBLE", min=1e-12),
    Field("amount", "$.amount", "DOUBLE", min=1e-12),  # USD for inverse futures, coins for linear
    Field("direction", "$.direction"),  # the taker's side
    Field("liquidation", "$.liquidation", required=False),  # M, T or MT; absent for ordinary trades
    Field("index_price", "$.index_price", "DOUBLE", required=False),
)

TRADES_PAGE = 1000
# https://docs.deribit.com/articles/accessing-historical-trades-orders : "Recent trades: Available for 24 hours
# before removal. Historical records: Persist indefinitely." Public trades older than that are served by
# history.deribit.com (the source's `history_base_url`); without it the main host's day is all there is.
TRADES_RETENTION = dt.timedelta(hours=24)
# A trade's id and its time, as the method's result documents them; the docs do not say in words that a
# trade's time never changes, but it is the time the trade happened: the loader bounds its key replacement
# by it (Dataset.fixed_time), and the raw table's `_key` uniqueness check fails the run if it ever moves.
TRADE_TIME_DOC = ("https://docs.deribit.com/api-reference/market-data/public-get_last_trades_by_currency_and_time: "
                  "trade_id \"Unique (per currency) trade identifier\"; timestamp \"The timestamp of the trade "
                  "(milliseconds since the UNIX epoch)\"")


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


FUTURE_TRADES = Dataset(
    name="future_trades",
    records="$.result.trades",
    fields=(
        Field("currency", "env:$.params.currency"),
        TRADE_ID,
        Field("trade_seq", "$.trade_seq", "BIGINT"),  # always sent: a drifted one is quarantined
        *TRADE_FIELDS,
        Field("mark_price", "$.mark_price", "DOUBLE", required=False),
        Field("contracts", "$.contracts", "DOUBLE", required=False),
    ),
    key=("currency", "trade_id"),  # trade ids are unique per currency
    fixed_time="timestamp_ms",
    fixed_time_doc=TRADE_TIME_DOC,
    fetch=fetch_future_trades,
    description="Trades of the futures and perpetuals; the liquidation flag marks forced ones",
    retention=TRADES_RETENTION,  # of the main host; none on the history host (history_base_url)
    retention_doc="https://docs.deribit.com/articles/accessing-historical-trades-orders: \"Recent trades: "
                  "Available for 24 hours before removal. Historical records: Persist indefinitely.\"",
)
