"""OKX v5 market datasets: swap open interest history, contract sizes, option chain snapshots.

The rubik open-interest history answers rows `[ts, oi, oiCcy, oiUsd]` newest first, at most 100; `end`
asks for rows older than a ts and `begin` for newer ones, so the day is read backwards from just past
its close; `begin` = D 00:00 leaves that point to the day before. `oi` is in contracts: staging sizes them with ctVal × ctMult from the instruments list.
"""
from __future__ import annotations

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._history import require_points
from ingest.venues.okx.api import SOURCE, get_data, option_family, swap_inst

OI_PAGE = 100  # documented maximum
MAX_PAGES = 100


def fetch_open_interest(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        end, seen = ctx.end_ms + 1, 0  # `end` is exclusive: +1 keeps the closing point
        for _ in range(MAX_PAGES):
            rows = get_data(ctx, "/api/v5/rubik/stat/contracts/open-interest-history", {
                "instId": swap_inst(asset), "period": "1H", "begin": ctx.start_ms, "end": end,
                "limit": OI_PAGE})
            stamps = [int(r[0]) for r in rows if isinstance(r, list) and r and str(r[0]).isdigit()]
            seen += len(rows)
            if len(rows) < OI_PAGE or not stamps or min(stamps) <= ctx.start_ms:
                break
            if min(stamps) >= end:
                raise SourceError(f"{SOURCE}: open interest history paging did not move below {end}")
            end = min(stamps)
        else:
            raise SourceError(f"{SOURCE}: open interest history did not end after {MAX_PAGES} pages")
        require_points(SOURCE, f"open-interest-history {asset}", seen)


def fetch_swap_instruments(ctx: FetchContext) -> None:
    get_data(ctx, "/api/v5/public/instruments", {"instType": "SWAP"})


def fetch_option_instruments(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        rows = get_data(ctx, "/api/v5/public/instruments", {"instType": "OPTION", "instFamily": option_family(asset)})
        # OKX always lists options on the configured families: an empty chain is an outage, not a quiet day
        require_points(SOURCE, f"instruments OPTION {option_family(asset)}", len(rows))


def fetch_option_open_interest(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        rows = get_data(ctx, "/api/v5/public/open-interest",
                        {"instType": "OPTION", "instFamily": option_family(asset)})
        # a listed option answers a row even at 0 OI: an empty answer is an outage
        require_points(SOURCE, f"open-interest OPTION {option_family(asset)}", len(rows))


DATASETS = [
    Dataset(
        name="open_interest_hist",
        records="$.data",
        fields=(
            Field("inst_id", "env:$.params.instId"),
            Field("ts_ms", "$[0]", "BIGINT"),
            Field("oi_contracts", "$[1]", "DOUBLE", min=0),
            Field("oi_ccy", "$[2]", "DOUBLE", required=False, min=0),
            Field("oi_usd", "$[3]", "DOUBLE", required=False, min=0),
        ),
        key=("inst_id", "ts_ms"),
        fetch=fetch_open_interest,
        description="Hourly open interest of the USDT swaps (contracts, coins, USD)",
    ),
    Dataset(
        name="swap_instruments",
        records="$.data",
        fields=(
            Field("inst_id", "$.instId"),
            Field("inst_family", "$.instFamily", required=False),
            Field("ct_val", "$.ctVal", "DOUBLE", min=0),
            Field("ct_mult", "$.ctMult", "DOUBLE", min=0),
            Field("ct_val_ccy", "$.ctValCcy"),
            Field("ct_type", "$.ctType", required=False),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("inst_id", "observed_date"),
        fetch=fetch_swap_instruments,
        description="Swap contract sizes as listed on the run day",
    ),
    Dataset(
        name="option_instruments",
        records="$.data",
        fields=(
            Field("inst_id", "$.instId"),
            Field("inst_family", "$.instFamily"),
            Field("strike", "$.stk", "DOUBLE", min=0),
            Field("opt_type", "$.optType"),
            Field("expiry_ms", "$.expTime", "BIGINT"),
            Field("ct_val", "$.ctVal", "DOUBLE", min=0),
            Field("ct_mult", "$.ctMult", "DOUBLE", min=0),
            Field("ct_val_ccy", "$.ctValCcy"),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("inst_id", "observed_date"),
        fetch=fetch_option_instruments,
        description="Options listed on the run day (strike, type, expiry, contract size)",
    ),
    Dataset(
        name="option_open_interest",
        records="$.data",
        fields=(
            Field("inst_id", "$.instId"),
            Field("oi_contracts", "$.oi", "DOUBLE", min=0),
            Field("oi_ccy", "$.oiCcy", "DOUBLE", required=False, min=0),
            Field("ts_ms", "$.ts", "BIGINT"),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("inst_id", "observed_date"),
        fetch=fetch_option_open_interest,
        description="Open interest of every listed option, one snapshot per run day",
    ),
]
