"""Deribit market datasets: perpetual ticker snapshots (open interest, index, mark) and the option chain.

Deribit keeps no open interest history, so the day's run reads the tickers and keeps the venue's
`timestamp` as the observation time. A perpetual's `open_interest` is in USD (inverse contracts);
options' is in coins.
"""
from __future__ import annotations

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._history import require_points
from ingest.venues._paging import require_list
from ingest.venues.deribit.api import SOURCE, perp_instrument, rpc


def fetch_tickers(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        result = rpc(ctx, "public/ticker", {"instrument_name": perp_instrument(asset)})
        if not isinstance(result, dict):
            raise SourceError(f"{SOURCE}: ticker result is not an object")


def fetch_option_instruments(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        rows = require_list(SOURCE, rpc(ctx, "public/get_instruments", {"currency": asset, "kind": "option",
                                                                         "expired": "false"}), "get_instruments")
        # Deribit always lists options on the configured currencies: none is an outage, not a quiet day
        require_points(SOURCE, f"get_instruments options of {asset}", len(rows))


def fetch_option_book_summary(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        rows = require_list(SOURCE, rpc(ctx, "public/get_book_summary_by_currency",
                                        {"currency": asset, "kind": "option"}), "get_book_summary_by_currency")
        # every listed option has a summary, even at 0 OI: an empty answer is an outage
        require_points(SOURCE, f"get_book_summary_by_currency options of {asset}", len(rows))


DATASETS = [
    Dataset(
        name="tickers",
        records="$.result",
        fields=(
            Field("instrument_name", "$.instrument_name"),
            Field("timestamp_ms", "$.timestamp", "BIGINT"),
            Field("open_interest", "$.open_interest", "DOUBLE", min=0),
            Field("mark_price", "$.mark_price", "DOUBLE", min=0),
            Field("index_price", "$.index_price", "DOUBLE", min=0),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("instrument_name", "observed_date"),
        fetch=fetch_tickers,
        description="Perpetual tickers as of the run: open interest (USD), mark and index price",
    ),
    Dataset(
        name="option_instruments",
        records="$.result",
        fields=(
            Field("instrument_name", "$.instrument_name"),
            Field("base_currency", "$.base_currency"),
            Field("strike", "$.strike", "DOUBLE", min=0),
            Field("option_type", "$.option_type"),
            Field("expiration_ms", "$.expiration_timestamp", "BIGINT"),
            Field("contract_size", "$.contract_size", "DOUBLE", min=0),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("instrument_name", "observed_date"),
        fetch=fetch_option_instruments,
        description="Options listed on the run day (strike, type, expiry, contract size)",
    ),
    Dataset(
        name="option_book_summary",
        records="$.result",
        fields=(
            Field("instrument_name", "$.instrument_name"),
            Field("open_interest", "$.open_interest", "DOUBLE", min=0),
            Field("creation_ms", "$.creation_timestamp", "BIGINT"),
            Field("underlying_price", "$.underlying_price", "DOUBLE", required=False),
            Field("mark_price", "$.mark_price", "DOUBLE", required=False),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("instrument_name", "observed_date"),
        fetch=fetch_option_book_summary,
        description="Option book summaries as of the run (open interest in coins), one snapshot per run day",
    ),
]
