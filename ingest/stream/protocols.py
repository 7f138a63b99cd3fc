"""Each venue's websocket rules, client side: what to subscribe, how to keep alive, what a message is.

`classify` sorts every incoming message: DATA (liquidations: lands in `liquidations_ws`), ACK (the
subscription is confirmed: the connection counts as up from here), REJECT (the venue refused the
subscription), or CONTROL (pongs, greetings, order lifecycle updates: lands in `ws_control`, so the
quarantine of `liquidations_ws` only ever sees real format problems). A venue may also ask for an answer
(Deribit's heartbeat test_request): `reply` gives it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from ingest.config import SourceConfig

DATA, ACK, REJECT, CONTROL = "data", "ack", "reject", "control"
DATA_DATASET = "liquidations_ws"
CONTROL_DATASET = "ws_control"


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Protocol:
    name: str
    subscribe: Callable[[SourceConfig], list[str]]
    classify: Callable[[Any], str]  # parsed message (None when not JSON) -> kind
    ping_text: str | None = None  # application-level ping the venue wants
    ping_every: float | None = None  # seconds (wall) between pings
    ping_when_idle: bool = False  # only ping when nothing arrived for ping_every
    reply: Callable[[Any], str | None] = lambda doc: None

    def url(self, source: SourceConfig) -> str:
        if not source.ws_url:
            raise ValueError(f"source {source.name!r} has no ws_url")
        return source.ws_url


# --- Binance USD-M: <symbol>@forceOrder on /ws (raw events, `$.o`) ------------------------------------------
def _binance_subscribe(src: SourceConfig) -> list[str]:
    from ingest.venues.binance import perp_symbol

    streams = [f"{perp_symbol(a).lower()}@forceOrder" for a in src.assets]
    return [json.dumps({"method": "SUBSCRIBE", "params": streams, "id": 1})]


def _binance_classify(doc: Any) -> str:
    if isinstance(doc, dict):
        if doc.get("e") == "forceOrder" or (isinstance(doc.get("data"), dict) and doc["data"].get("e") == "forceOrder"):
            return DATA
        if "result" in doc and doc.get("id") == 1:
            return ACK
        if "error" in doc:
            return REJECT
    return CONTROL


# --- Bybit v5 linear: allLiquidation.<symbol> -----------------------------------------------------------------
def _bybit_subscribe(src: SourceConfig) -> list[str]:
    from ingest.venues.bybit import perp_symbol

    return [json.dumps({"op": "subscribe", "args": [f"allLiquidation.{perp_symbol(a)}" for a in src.assets],
                        "req_id": "dwh-subscribe"})]


def _bybit_classify(doc: Any) -> str:
    if isinstance(doc, dict):
        if str(doc.get("topic", "")).startswith("allLiquidation."):
            return DATA
        if doc.get("op") == "subscribe":
            return ACK if doc.get("success") else REJECT
    return CONTROL


# --- OKX v5 public: liquidation-orders, instType SWAP -----------------------------------------------------------
def _okx_subscribe(src: SourceConfig) -> list[str]:
    return [json.dumps({"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]})]


def _okx_classify(doc: Any) -> str:
    if isinstance(doc, dict):
        if isinstance(doc.get("arg"), dict) and doc["arg"].get("channel") == "liquidation-orders" and "data" in doc:
            return DATA
        if doc.get("event") == "subscribe":
            return ACK
        if doc.get("event") == "error":
            return REJECT
    return CONTROL


# --- BitMEX realtime: table liquidation (insert = a new liquidation order) ------------------------------------
def _bitmex_subscribe(src: SourceConfig) -> list[str]:
    return [json.dumps({"op": "subscribe", "args": ["liquidation"]})]


def _bitmex_classify(doc: Any) -> str:
    if isinstance(doc, dict):
        if doc.get("table") == "liquidation" and doc.get("action") == "insert":
            return DATA
        if doc.get("success") and doc.get("subscribe"):
            return ACK
        if doc.get("status") == 400 or "error" in doc:
            return REJECT
    return CONTROL  # welcome, partial, update/delete of resting orders, "pong"


# --- Deribit: trades.future.<currency>.100ms, heartbeats ------------------------------------------------------
_DERIBIT_SUBSCRIBE_ID = 2


def _deribit_subscribe(src: SourceConfig) -> list[str]:
    return [json.dumps({"jsonrpc": "2.0", "id": 1, "method": "public/set_heartbeat", "params": {"interval": 30}}),
            json.dumps({"jsonrpc": "2.0", "id": _DERIBIT_SUBSCRIBE_ID, "method": "public/subscribe",
                        "params": {"channels": [f"trades.future.{a}.100ms" for a in src.assets]}})]


def _deribit_classify(doc: Any) -> str:
    if isinstance(doc, dict):
        params = doc.get("params") if isinstance(doc.get("params"), dict) else {}
        if doc.get("method") == "subscription" and str(params.get("channel", "")).startswith("trades."):
            return DATA
        if doc.get("id") == _DERIBIT_SUBSCRIBE_ID:
            return ACK if doc.get("result") else REJECT
        if "error" in doc:
            return REJECT
    return CONTROL


def _deribit_reply(doc: Any) -> str | None:
    if isinstance(doc, dict) and doc.get("method") == "heartbeat" \
            and (doc.get("params") or {}).get("type") == "test_request":
        return json.dumps({"jsonrpc": "2.0", "id": 9, "method": "public/test", "params": {}})
    return None


PROTOCOLS: dict[str, Protocol] = {
    # Binance pings at the websocket level; the client library answers, nothing to do here.
    "binance": Protocol("binance", _binance_subscribe, _binance_classify),
    "bybit": Protocol("bybit", _bybit_subscribe, _bybit_classify, ping_text=json.dumps({"op": "ping"}),
                      ping_every=20.0),
    "okx": Protocol("okx", _okx_subscribe, _okx_classify, ping_text="ping", ping_every=25.0, ping_when_idle=True),
    "bitmex": Protocol("bitmex", _bitmex_subscribe, _bitmex_classify, ping_text="ping", ping_every=5.0,
                       ping_when_idle=True),
    "deribit": Protocol("deribit", _deribit_subscribe, _deribit_classify, reply=_deribit_reply),
}


def classify(protocol: Protocol, text: str) -> str:
    return protocol.classify(_json(text))


def dataset_for(kind: str) -> str:
    return DATA_DATASET if kind == DATA else CONTROL_DATASET
