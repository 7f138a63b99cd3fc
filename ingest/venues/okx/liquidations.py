"""OKX v5 liquidation orders over REST (the websocket channel, ws.py, lands the same orders with the same fields).

The order fields and key below are the one definition both channels read: an order hashes to one id
whichever channel brought it, so the two can be merged without double counting.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field, VenueClock
from ingest.venues.okx.api import SOURCE, get_data

PAGE = 100

# where an order sits in a liquidation-orders answer (REST) or push (websocket): details under each instrument
ORDER_RECORDS = "$.data[*].details"
ORDER_FIELDS = (
    Field("inst_id", "parent:$.instId"),
    Field("inst_type", "parent:$.instType", required=False),
    Field("inst_family", "parent:$.instFamily", required=False),
    Field("uly", "parent:$.uly", required=False),
    Field("ts_ms", "$.ts", "BIGINT"),
    Field("side", "$.side"),
    Field("pos_side", "$.posSide", required=False),
    Field("sz", "$.sz", "DOUBLE", min=1e-12),  # contracts; zero would be no liquidation at all
    Field("bk_px", "$.bkPx", "DOUBLE", min=1e-12),
)
# OKX gives no id: an order is its instrument, time, side, size and bankruptcy price
ORDER_KEY = ("inst_id", "ts_ms", "side", "sz", "bk_px")

# Liquidations: one family per asset and margin style; linear (USDT) and inverse (USD) swaps and futures.
# GET /api/v5/public/liquidation-orders (https://www.okx.com/docs-v5/en/#public-data-rest-api-get-liquidation-orders):
# instFamily (or uly) is required for SWAP and FUTURES, and FUTURES also needs `alias` (this_week, next_week,
# quarter, next_quarter): one request per delivery alias, without which OKX refuses the FUTURES request.
FUTURES_ALIASES = ("this_week", "next_week", "quarter", "next_quarter")
LIQUIDATION_FAMILIES = (("SWAP", "{asset}-USDT", None), ("SWAP", "{asset}-USD", None),
                        *(("FUTURES", family, alias) for family in ("{asset}-USDT", "{asset}-USD")
                          for alias in FUTURES_ALIASES))


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


LIQUIDATIONS = Dataset(
    name="liquidations",
    records=ORDER_RECORDS,
    fields=ORDER_FIELDS,
    key=ORDER_KEY,
    fetch=fetch_liquidations,
    description="Filled liquidation orders (side = order side; sz in contracts of the instrument)",
    retention=LIQUIDATION_RETENTION,
    retention_doc="https://www.okx.com/docs-v5/en/#public-data-rest-api-get-liquidation-orders: "
                  "\"Retrieve information on liquidation orders in the last day.\"",
)
