"""Deribit funding history of the perpetuals.

Funding history has one row per hour (`interest_1h`), stamped at the end of its hour; the row does not
name its instrument, so the loader takes it from the request parameters kept in the landed envelope.
"""
from __future__ import annotations

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._history import require_points  # a day without funding events is an outage
from ingest.venues.deribit.api import SOURCE, perp_instrument, rpc


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


DATASETS = [
    Dataset(
        name="funding_rates",
        records="$.result",
        fields=(
            Field("instrument_name", "env:$.params.instrument_name"),
            Field("timestamp_ms", "$.timestamp", "BIGINT"),
            Field("interest_1h", "$.interest_1h", "DOUBLE"),  # plausibility: a test on marts.funding_rates
            Field("interest_8h", "$.interest_8h", "DOUBLE", required=False),
            Field("index_price", "$.index_price", "DOUBLE"),  # always sent: a drifted one is quarantined
        ),
        key=("instrument_name", "timestamp_ms"),
        fetch=fetch_funding_rates,
        description="Hourly funding of the perpetuals",
    ),
]
