"""Bybit v5 linear liquidations over the websocket: allLiquidation.<symbol>."""
from __future__ import annotations

import json
from typing import Any

from ingest.config import SourceConfig
from ingest.spec import Dataset, Field
from ingest.stream.protocols import ACK, CONTROL, DATA, DATA_DATASET, REJECT, Protocol
from ingest.venues.bybit.api import perp_symbol


def subscribe(src: SourceConfig) -> list[str]:
    return [json.dumps({"op": "subscribe", "args": [f"allLiquidation.{perp_symbol(a)}" for a in src.assets],
                        "req_id": "dwh-subscribe"})]


def classify(doc: Any) -> str:
    if isinstance(doc, dict):
        if str(doc.get("topic", "")).startswith("allLiquidation."):
            return DATA
        if doc.get("op") == "subscribe":
            return ACK if doc.get("success") else REJECT
    return CONTROL


PROTOCOL = Protocol("bybit", subscribe, classify, ping_text=json.dumps({"op": "ping"}), ping_every=20.0)

# allLiquidation.<symbol>: {"topic", "type", "ts", "data": [{T, s, S, v, p}]}; S is the side of the
# liquidated position (Buy = long), v the size in coins for linear contracts.
LIQUIDATIONS_WS = Dataset(
    name=DATA_DATASET,
    records="$.data",
    fields=(
        Field("symbol", "$.s"),
        Field("side", "$.S"),
        Field("size", "$.v", "DOUBLE", min=1e-12),  # a size or price of zero is no liquidation at all
        Field("price", "$.p", "DOUBLE", min=1e-12),
        Field("time_ms", "$.T", "BIGINT"),
        Field("received_at", "env:$.received_at", "TIMESTAMPTZ"),
    ),
    key=("symbol", "time_ms", "side", "size", "price"),
    description="v5 allLiquidation pushes of the linear perpetuals",
)
