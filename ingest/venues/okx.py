"""OKX v5.

Funding history answers newest first (limit 100); `after` asks for rows older than a timestamp, so
page backwards from the end of the day. OKX does not state the interval in the history: staging
derives it from the spacing of consecutive funding times.
"""
from __future__ import annotations

from typing import Any

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._paging import check_envelope, require_list

SOURCE = "okx"
PAGE = 100


def swap_inst(asset: str) -> str:
    return f"{asset}-USDT-SWAP"


def get_data(ctx: FetchContext, path: str, params: dict[str, Any]) -> list[Any]:
    body = check_envelope(SOURCE, ctx.client.get_json(path, params), code_key="code", ok="0", msg_key="msg")
    return require_list(SOURCE, body.get("data"), f"{path} data")


def fetch_funding_rates(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        # Ask for a little before the day too, so the first event of D has a predecessor to measure
        # its interval against.
        floor = ctx.start_ms - 24 * 3600 * 1000
        after = ctx.end_ms
        while after > floor:
            rows = get_data(ctx, "/api/v5/public/funding-rate-history",
                            {"instId": swap_inst(asset), "after": after, "limit": PAGE})
            stamps = [int(r["fundingTime"]) for r in rows
                      if isinstance(r, dict) and str(r.get("fundingTime", "")).isdigit()]
            if len(rows) < PAGE or not stamps:
                break
            if min(stamps) >= after:
                raise SourceError(f"{SOURCE}: funding history paging did not move below {after}")
            after = min(stamps)


DATASETS = [
    Dataset(
        name="funding_rates",
        records="$.data",
        fields=(
            Field("inst_id", "$.instId"),
            Field("inst_type", "$.instType", required=False),
            Field("funding_time_ms", "$.fundingTime", "BIGINT"),
            Field("funding_rate", "$.fundingRate", "DOUBLE", min=-0.05, max=0.05),
            Field("realized_rate", "$.realizedRate", "DOUBLE", required=False),
        ),
        key=("inst_id", "funding_time_ms"),
        fetch=fetch_funding_rates,
        description="Settled funding events of USDT swaps",
    ),
]
