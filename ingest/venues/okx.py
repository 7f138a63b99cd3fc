"""OKX v5.

Funding history answers newest first (limit 100); `after` asks for rows older than a timestamp, so
page backwards from the end of the day. OKX does not state the interval in the history: staging
derives it from the spacing of consecutive funding times.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field, VenueClock
from ingest.venues._history import require_points  # a day without funding events is an outage
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


# Liquidations: one family per asset and margin style; linear (USDT) and inverse (USD) swaps and futures.
# GET /api/v5/public/liquidation-orders (https://www.okx.com/docs-v5/en/#public-data-rest-api-get-liquidation-orders):
# instFamily (or uly) is required for SWAP and FUTURES, and FUTURES also needs `alias` (this_week, next_week,
# quarter, next_quarter): one request per delivery alias, without which OKX refuses the FUTURES request.
FUTURES_ALIASES = ("this_week", "next_week", "quarter", "next_quarter")
LIQUIDATION_FAMILIES = (("SWAP", "{asset}-USDT", None), ("SWAP", "{asset}-USD", None),
                        *(("FUTURES", family, alias) for family in ("{asset}-USDT", "{asset}-USD")
                          for alias in FUTURES_ALIASES))
INSTRUMENT_TYPES = ("SWAP", "FUTURES")  # options live in their own dataset (option_instruments)


def fetch_instruments(ctx: FetchContext) -> None:
    for inst_type in INSTRUMENT_TYPES:
        # no swaps or futures listed: an outage, and staging would lose every contract value
        require_points(SOURCE, f"instruments {inst_type}",
                       len(get_data(ctx, "/api/v5/public/instruments", {"instType": inst_type})))


def _detail_stamps(rows: list[Any]) -> list[int]:
    return [int(d["ts"]) for r in rows if isinstance(r, dict) and isinstance(r.get("details"), list)
            for d in r["details"] if isinstance(d, dict) and str(d.get("ts", "")).isdigit()]


# https://www.okx.com/docs-v5/en/#public-data-rest-api-get-liquidation-orders : "Retrieve information on
# liquidation orders in the last day." Third-party probes find about 23.5 hours of orders. Taken at 24 hours:
# the daily run at D+1 00:30 no longer sees D's first half hour, so the day is also read during D (`dwh poll`).
LIQUIDATION_RETENTION = dt.timedelta(hours=24)


def fetch_liquidations(ctx: FetchContext) -> None:
    """Filled liquidation orders of the day, newest first, paged backwards with `after` (ts < after).

    `after` is set one past the oldest ts seen, so rows sharing that millisecond across a page boundary
    come again (the loader's key drops the repeats) instead of being skipped. An answer without a single
    order for an asset is an outage or beyond what OKX still serves, not a calm day: the dataset fails, so
    the day does not count as covered. Orders from before D with none in D are a calm stretch (an hourly poll
    early in D meets it), which the covered window then vouches for. OKX keeps one day (LIQUIDATION_RETENTION): the part of D this read
    provably holds goes into the run's notes (`covered_window`, on the venue's clock).
    """
    silent = []
    clock = VenueClock(ctx)
    for asset in ctx.source.assets:
        seen = 0
        for inst_type, family, alias in LIQUIDATION_FAMILIES:
            after = ctx.end_ms
            while True:
                rows = get_data(ctx, "/api/v5/public/liquidation-orders", {
                    "instType": inst_type, "instFamily": family.format(asset=asset), "state": "filled",
                    **({"alias": alias} if alias else {}), "after": after, "limit": PAGE})
                clock.tick()
                stamps = _detail_stamps(rows)
                seen += len(stamps)
                if len(stamps) < PAGE or min(stamps) < ctx.start_ms:
                    break
                nxt = min(stamps) + 1
                if nxt >= after:  # a whole page in one millisecond: step past it and say so
                    ctx.notes.setdefault("liquidations_ms_skipped", []).append(min(stamps))
                    nxt = min(stamps)
                after = nxt
        if not seen:
            silent.append(asset)
    clock.record(LIQUIDATION_RETENTION)
    if silent:
        raise SourceError(f"{SOURCE}: no liquidation orders for {', '.join(silent)} on {ctx.day}: an outage, "
                          "or a day older than the venue still serves")


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
    Dataset(
        name="liquidations",
        records="$.data[*].details",
        fields=(
            Field("inst_id", "parent:$.instId"),
            Field("inst_type", "parent:$.instType", required=False),
            Field("inst_family", "parent:$.instFamily", required=False),
            Field("uly", "parent:$.uly", required=False),
            Field("ts_ms", "$.ts", "BIGINT"),
            Field("side", "$.side"),
            Field("pos_side", "$.posSide", required=False),
            Field("sz", "$.sz", "DOUBLE", min=1e-12),  # contracts; zero would be no liquidation at all
            Field("bk_px", "$.bkPx", "DOUBLE", min=1e-12),
        ),
        # OKX gives no id: an order is its instrument, time, side, size and bankruptcy price
        key=("inst_id", "ts_ms", "side", "sz", "bk_px"),
        fetch=fetch_liquidations,
        description="Filled liquidation orders (side = order side; sz in contracts of the instrument)",
        retention=LIQUIDATION_RETENTION,
        retention_doc="https://www.okx.com/docs-v5/en/#public-data-rest-api-get-liquidation-orders: "
                      "\"Retrieve information on liquidation orders in the last day.\"",
    ),
]

# Open interest and options live in their own module (ingest/venues/okx_markets.py).
from ingest.venues.okx_markets import DATASETS as _MARKET_DATASETS  # noqa: E402

DATASETS += _MARKET_DATASETS

# The websocket channel of liquidations (ingest.stream lands it): ingest/venues/liquidations_ws.py.
from ingest.venues.liquidations_ws import OKX as _LIQUIDATIONS_WS  # noqa: E402

DATASETS.append(_LIQUIDATIONS_WS)
