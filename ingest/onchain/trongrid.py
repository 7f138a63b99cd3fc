"""Tron balances through TronGrid v1: `GET /v1/accounts/{address}` per address.

TronGrid only tells the present: the answer's `meta.at` (ms) is the observation time, and dbt uses an
observation for day D only when it lies close enough to D+1 00:00 (the 00:30 run does; a backfill
does not, and the day stays missing rather than borrowing a later state). An account that never
received anything answers `data: []`, which is a balance of zero, not an error.

The key (`api_key_env`, sent as the TRON-PRO-API-KEY header named by `api_key_header`) travels only
in a header: headers are neither landed nor logged. Without a key TronGrid limits by IP and answers
403 "... suspended for 30s" when exceeded; that wait is honoured (`penalty_seconds`) a few times.
"""
from __future__ import annotations

import time

from ingest.http import SourceError
from ingest.onchain._pool import run_each
from ingest.onchain.registry import addresses_for
from ingest.spec import Dataset, FetchContext, Field

DEFAULT_PENALTY_S = 30.0
PENALTY_ATTEMPTS = 3


def fetch_accounts(ctx: FetchContext) -> None:
    penalty = float(ctx.source.extra.get("penalty_seconds", DEFAULT_PENALTY_S))

    def one(address: str) -> None:
        if not address.isalnum():
            raise SourceError(f"not a usable address: {address!r}")
        for _ in range(PENALTY_ATTEMPTS):
            body = ctx.client.get_json(f"/v1/accounts/{address}", ok_statuses=(200, 403))
            if not isinstance(body, dict):
                raise SourceError(f"{ctx.source.name}: {address} answered {type(body).__name__}")
            if body.get("success") is True and isinstance(body.get("data"), list):
                return
            error = str(body.get("error") or body.get("Error") or body)
            if "frequency" not in error.lower() and "suspend" not in error.lower():
                raise SourceError(f"{ctx.source.name}: {address}: {error[:200]}")
            ctx.client.limiter.pause(penalty)
            time.sleep(penalty)
        raise SourceError(f"{ctx.source.name}: {address}: still suspended after {PENALTY_ATTEMPTS} waits")

    run_each(ctx, addresses_for(ctx.source), one, "addresses")


DATASETS = [
    Dataset(
        name="accounts",
        records="$",  # one record per answer: the account sits in data[0], the time in meta.at
        fields=(
            Field("request_url", "env:$.url"),  # names the address in the form it was asked for
            Field("success", "$.success", "BOOLEAN"),
            Field("observed_at_ms", "$.meta.at", "BIGINT", min=1.5e12),
            # typed, so a field TronGrid adds later changes nothing; the whole answer stays in _record,
            # which staging reads (rows loaded before these columns existed have only that)
            Field("account_address", "$.data[0].address", required=False),
            # all TRX ever issued is ~1e17 sun: more is an absurd value, quarantined
            Field("balance_sun", "$.data[0].balance", "BIGINT", required=False, min=0, max=2e17),
            Field("trc20", "$.data[0].trc20", "JSON", required=False),
            Field("fetch_date", "env:$.date", "DATE"),
            Field("run_id", "env:$.run_id"),  # a run's answers belong together: a rerun adds, never mixes
        ),
        key=("request_url", "fetch_date", "run_id"),
        fetch=fetch_accounts,
        description="TRX (sun) and TRC-20 balances of each registry address at the time of the run",
    ),
]
