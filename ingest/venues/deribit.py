"""Deribit JSON-RPC over HTTP GET (/api/v2/public/...).

Funding history has one row per hour (`interest_1h`); the row does not name its instrument, so the
loader takes it from the request parameters kept in the landed envelope.
"""
from __future__ import annotations

from typing import Any

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field

SOURCE = "deribit"


def perp_instrument(asset: str) -> str:
    return f"{asset}-PERPETUAL"


def rpc(ctx: FetchContext, method: str, params: dict[str, Any]) -> Any:
    # Deribit answers errors with HTTP 400 and a JSON-RPC error object; both end here.
    body = ctx.client.get_json(f"/api/v2/{method}", params, ok_statuses=(200, 400))
    if not isinstance(body, dict) or "error" in body or "result" not in body:
        err = body.get("error") if isinstance(body, dict) else body
        raise SourceError(f"{SOURCE}: {method} error: {err!r}")
    return body["result"]


def fetch_funding_rates(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        rows = rpc(ctx, "public/get_funding_rate_history", {
            "instrument_name": perp_instrument(asset), "start_timestamp": ctx.start_ms,
            "end_timestamp": ctx.end_ms - 1})
        if not isinstance(rows, list):
            raise SourceError(f"{SOURCE}: funding history result is not a list")


DATASETS = [
    Dataset(
        name="funding_rates",
        records="$.result",
        fields=(
            Field("instrument_name", "env:$.params.instrument_name"),
            Field("timestamp_ms", "$.timestamp", "BIGINT"),
            Field("interest_1h", "$.interest_1h", "DOUBLE", min=-0.05, max=0.05),
            Field("interest_8h", "$.interest_8h", "DOUBLE", required=False),
            Field("index_price", "$.index_price", "DOUBLE", required=False),
        ),
        key=("instrument_name", "timestamp_ms"),
        fetch=fetch_funding_rates,
        description="Hourly funding of the perpetuals",
    ),
]
