"""Deribit trades over the websocket: trades.future.<currency>.100ms, with heartbeats."""
from __future__ import annotations

import json
from typing import Any

from ingest.config import SourceConfig
from ingest.spec import Dataset, Field
from ingest.stream.protocols import ACK, CONTROL, DATA, DATA_DATASET, REJECT, Protocol
from ingest.venues.deribit.trades import TRADE_FIELDS, TRADE_ID, TRADE_TIME_DOC

_SUBSCRIBE_ID = 2


def subscribe(src: SourceConfig) -> list[str]:
    return [json.dumps({"jsonrpc": "2.0", "id": 1, "method": "public/set_heartbeat", "params": {"interval": 30}}),
            json.dumps({"jsonrpc": "2.0", "id": _SUBSCRIBE_ID, "method": "public/subscribe",
                        "params": {"channels": [f"trades.future.{a}.100ms" for a in src.assets]}})]


def classify(doc: Any) -> str:
    if isinstance(doc, dict):
        params = doc.get("params") if isinstance(doc.get("params"), dict) else {}
        if doc.get("method") == "subscription" and str(params.get("channel", "")).startswith("trades."):
            return DATA
        if doc.get("id") == _SUBSCRIBE_ID:
            return ACK if doc.get("result") else REJECT
        if "error" in doc:
            return REJECT
    return CONTROL


def reply(doc: Any) -> str | None:
    if isinstance(doc, dict) and doc.get("method") == "heartbeat" \
            and (doc.get("params") or {}).get("type") == "test_request":
        return json.dumps({"jsonrpc": "2.0", "id": 9, "method": "public/test", "params": {}})
    return None


PROTOCOL = Protocol("deribit", subscribe, classify, reply=reply)

# {"method": "subscription", "params": {"channel", "data": [trade]}}: every trade of the channel lands;
# `liquidation` (T, M, MT) marks the forced ones, staging keeps those. The trade fields are the REST
# dataset's (trades.py); a push may lack trade_seq.
LIQUIDATIONS_WS = Dataset(
    name=DATA_DATASET,
    records="$.params.data",
    fields=(
        TRADE_ID,
        Field("trade_seq", "$.trade_seq", "BIGINT", required=False),
        *TRADE_FIELDS,
        Field("received_at", "env:$.received_at", "TIMESTAMPTZ"),
    ),
    key=("instrument_name", "trade_id"),
    fixed_time="timestamp_ms",  # the channel's trades are the REST method's (the same fields, ids and times)
    fixed_time_doc=TRADE_TIME_DOC,
    description="Trades of the futures channel; the liquidation flag marks forced ones",
)
