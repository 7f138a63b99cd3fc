"""OKX v5 public liquidations over the websocket: liquidation-orders, instType SWAP."""
from __future__ import annotations

import json
from typing import Any

from ingest.config import SourceConfig
from ingest.spec import Dataset, Field
from ingest.stream.protocols import ACK, CONTROL, DATA, DATA_DATASET, REJECT, Protocol
from ingest.venues.okx.liquidations import ORDER_FIELDS, ORDER_KEY, ORDER_RECORDS


def subscribe(src: SourceConfig) -> list[str]:
    return [json.dumps({"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]})]


def classify(doc: Any) -> str:
    if isinstance(doc, dict):
        if isinstance(doc.get("arg"), dict) and doc["arg"].get("channel") == "liquidation-orders" and "data" in doc:
            return DATA
        if doc.get("event") == "subscribe":
            return ACK
        if doc.get("event") == "error":
            return REJECT
    return CONTROL


PROTOCOL = Protocol("okx", subscribe, classify, ping_text="ping", ping_every=25.0, ping_when_idle=True)

# {"arg", "data": [{instId, instType, instFamily, uly, details: [...]}]}: the REST dataset's fields and key
# (liquidations.py), so one order hashes to one id on both channels; a push also carries the loss.
LIQUIDATIONS_WS = Dataset(
    name=DATA_DATASET,
    records=ORDER_RECORDS,
    fields=(
        *ORDER_FIELDS,
        Field("bk_loss", "$.bkLoss", "DOUBLE", required=False),
        Field("received_at", "env:$.received_at", "TIMESTAMPTZ"),
    ),
    key=ORDER_KEY,
    description="liquidation-orders pushes (instType SWAP), one row per order detail",
)
