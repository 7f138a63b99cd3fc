"""BitMEX realtime liquidations over the websocket: table liquidation (insert = a new liquidation order)."""
from __future__ import annotations

import json
from typing import Any

from ingest.config import SourceConfig
from ingest.spec import Dataset, Field
from ingest.stream.protocols import ACK, CONTROL, DATA, DATA_DATASET, REJECT, Protocol


def subscribe(src: SourceConfig) -> list[str]:
    return [json.dumps({"op": "subscribe", "args": ["liquidation"]})]


def classify(doc: Any) -> str:
    if isinstance(doc, dict):
        if doc.get("table") == "liquidation" and doc.get("action") == "insert":
            return DATA
        if doc.get("success") and doc.get("subscribe"):
            return ACK
        if doc.get("status") == 400 or "error" in doc:
            return REJECT
    return CONTROL  # welcome, partial, update/delete of resting orders, "pong"


PROTOCOL = Protocol("bitmex", subscribe, classify, ping_text="ping", ping_every=5.0, ping_when_idle=True)

# Action insert: a liquidation order entering the book. The rows carry no time: the moment the collector
# received the message stands in. leavesQty is contracts (USD for XBTUSD).
LIQUIDATIONS_WS = Dataset(
    name=DATA_DATASET,
    records="$.data",
    fields=(
        Field("order_id", "$.orderID"),
        Field("symbol", "$.symbol"),
        Field("side", "$.side"),
        Field("price", "$.price", "DOUBLE", min=1e-12),  # a price or size of zero is no liquidation at all
        Field("leaves_qty", "$.leavesQty", "DOUBLE", min=1e-12),
        Field("received_at", "env:$.received_at", "TIMESTAMPTZ"),
    ),
    key=("order_id",),
    description="Realtime `liquidation` inserts (new liquidation orders); updates and deletes go to ws_control",
)
