"""OKX v5 funding history of the USDT swaps, and the swaps and futures listed on the day.

Funding history answers newest first (limit 100); `after` asks for rows older than a timestamp, so
page backwards from the end of the day. OKX does not state the interval in the history: staging
derives it from the spacing of consecutive funding times.
"""
from __future__ import annotations

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._history import require_points  # a day without funding events is an outage
from ingest.venues.okx.api import SOURCE, get_data, swap_inst

PAGE = 100


def fetch_funding_rates(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        # Ask for a little before the day too, so the first event of D has a predecessor to measure
        # its interval against.
        floor = ctx.start_ms - 24 * 3600 * 1000
        after, seen = ctx.end_ms, 0
        while after > floor:
            rows = get_data(ctx, "/api/v5/public/funding-rate-history",
                            {"instId": swap_inst(asset), "after": after, "before": floor, "limit": PAGE})
            seen += len(rows)
            stamps = [int(r["fundingTime"]) for r in rows
                      if isinstance(r, dict) and str(r.get("fundingTime", "")).isdigit()]
            if len(rows) < PAGE or not stamps:
                break
            if min(stamps) >= after:
                raise SourceError(f"{SOURCE}: funding history paging did not move below {after}")
            after = min(stamps)
        require_points(SOURCE, f"funding-rate-history {asset}", seen)


INSTRUMENT_TYPES = ("SWAP", "FUTURES")  # options live in their own dataset (option_instruments)


def fetch_instruments(ctx: FetchContext) -> None:
    for inst_type in INSTRUMENT_TYPES:
        # no swaps or futures listed: an outage, and staging would lose every contract value
        require_points(SOURCE, f"instruments {inst_type}",
                       len(get_data(ctx, "/api/v5/public/instruments", {"instType": inst_type})))


DATASETS = [
    Dataset(
        name="funding_rates",
        records="$.data",
        fields=(
            Field("inst_id", "$.instId"),
            Field("inst_type", "$.instType", required=False),
            Field("funding_time_ms", "$.fundingTime", "BIGINT"),
            Field("funding_rate", "$.fundingRate", "DOUBLE"),  # plausibility: a test on marts.funding_rates
            Field("realized_rate", "$.realizedRate", "DOUBLE", required=False),
        ),
        key=("inst_id", "funding_time_ms"),
        fetch=fetch_funding_rates,
        description="Settled funding events of USDT swaps",
    ),
    Dataset(
        name="instruments",
        records="$.data",
        fields=(
            Field("inst_id", "$.instId"),
            Field("inst_type", "$.instType"),
            Field("inst_family", "$.instFamily", required=False),
            Field("uly", "$.uly", required=False),
            Field("ct_val", "$.ctVal", "DOUBLE", min=0),
            Field("ct_mult", "$.ctMult", "DOUBLE", required=False),
            Field("ct_val_ccy", "$.ctValCcy"),
            Field("ct_type", "$.ctType", required=False),
            Field("settle_ccy", "$.settleCcy", required=False),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("inst_id", "observed_date"),
        fetch=fetch_instruments,
        description="Swaps and futures as listed on the run day: contract value (ctVal, ctValCcy) per instrument",
    ),
]
