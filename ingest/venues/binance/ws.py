"""Binance USD-M liquidations over the websocket: !forceOrder@arr on the /market route (raw events, `$.o`).

Liquidation Order Streams (https://developers.binance.com/docs/derivatives/usds-margined-futures/
websocket-market-streams/All-Market-Liquidation-Order-Streams and .../Liquidation-Order-Streams):
`!forceOrder@arr` pushes every symbol's liquidations with the same per-symbol rule as `<symbol>@forceOrder`
(at most one order per symbol per 1000 ms), so BTCUSDT/ETHUSDT lose nothing by it, and the all-market
stream (every USD-M symbol) is never quiet for long: its silence means a deaf connection, not a calm market.
Events of other symbols (altcoins, BTCUSDC, quarterlies) are OTHER: traffic, landed aside, not loaded.
Important WebSocket Change Notice (.../websocket-market-streams/Important-WebSocket-Change-Notice; announced
2026-03, legacy URLs retired 2026-04-23): streams are routed under /public, /market and /private, and
liquidations are a /market stream. Client maintainers report that the unrouted /ws still completes the
handshake and then pushes no /market stream at all (no error, no close): the silence alarm catches that.
Either form is read: /market/ws sends the event, /market/stream?streams=... wraps it as {"stream", "data"}.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ingest.config import SourceConfig
from ingest.spec import Dataset, Field
from ingest.stream.protocols import ACK, CONTROL, DATA, DATA_DATASET, OTHER, REJECT, Protocol
from ingest.venues.binance.api import perp_symbol


def subscribe(src: SourceConfig) -> list[str]:
    return [json.dumps({"method": "SUBSCRIBE", "params": ["!forceOrder@arr"], "id": 1})]


def _event(doc: Any) -> dict | None:
    if isinstance(doc, dict):
        if doc.get("e") == "forceOrder":
            return doc
        if isinstance(doc.get("data"), dict) and doc["data"].get("e") == "forceOrder":
            return doc["data"]
    return None


def classify(doc: Any) -> str:
    if _event(doc) is not None:
        return DATA
    if isinstance(doc, dict):
        if "result" in doc and doc.get("id") == 1:
            return ACK
        if "error" in doc:
            return REJECT
    return CONTROL


def classifier(src: SourceConfig) -> Callable[[Any], str]:
    kept = {perp_symbol(a) for a in src.assets}

    def classify_kept(doc: Any) -> str:
        event = _event(doc)
        if event is not None:
            order = event.get("o") if isinstance(event.get("o"), dict) else {}
            # an order without a symbol is a format problem for the loader's quarantine, not "another market"
            return OTHER if order.get("s") and order["s"] not in kept else DATA
        return classify(doc)
    return classify_kept


# Binance pings at the websocket level; the client library answers, nothing to do here. The docs give no
# liquidation rate: 15 minutes without one on the all-market stream (hundreds of symbols) is our judgment
# of "deaf". A false alarm marks a quiet stretch unheard (loud); a missed one would count a deaf hour as
# heard (silent), so the alarm errs early.
PROTOCOL = Protocol("binance", subscribe, classify, silence_alarm=900.0, classifier=classifier)

# forceOrder on /market/ws: {"e": "forceOrder", "E", "o": {order}}; on /market/stream?streams=... the same
# event comes wrapped as {"stream": "<name>", "data": {event}} (Websocket Market Streams, Connect: combined
# stream events are wrapped this way), read through `envelope` into the same rows and keys.
# S is the order side (SELL = a long was liquidated), z the filled quantity (coins), ap the average fill
# price, T the trade time (ms).
LIQUIDATIONS_WS = Dataset(
    name=DATA_DATASET,
    records="$.o",
    envelope="$.data",
    fields=(
        Field("symbol", "$.s"),
        Field("side", "$.S"),
        Field("order_type", "$.o", required=False),
        Field("time_in_force", "$.f", required=False),
        Field("orig_qty", "$.q", "DOUBLE", min=0),
        Field("price", "$.p", "DOUBLE", min=0),
        Field("avg_price", "$.ap", "DOUBLE", min=0),
        Field("status", "$.X"),
        Field("last_filled_qty", "$.l", "DOUBLE", required=False),
        Field("filled_qty", "$.z", "DOUBLE", min=0),
        Field("trade_time_ms", "$.T", "BIGINT"),
        Field("received_at", "env:$.received_at", "TIMESTAMPTZ"),
    ),
    # Binance gives no order id: an order is its symbol, time, side, filled size and price
    key=("symbol", "trade_time_ms", "side", "filled_qty", "avg_price"),
    description="USD-M forceOrder events (!forceOrder@arr on the /market route), one per liquidation order",
)
