"""Each venue's websocket rules, client side: what to subscribe, how to keep alive, what a message is.

`classify` sorts every incoming message: DATA (liquidations: lands in `liquidations_ws`), ACK (the
subscription is confirmed: the connection counts as up from here), REJECT (the venue refused the
subscription), OTHER (market data of the subscribed channel for instruments the warehouse does not keep:
proof the feed flows, landed in `ws_control`) or CONTROL (pongs, greetings, order lifecycle updates: lands
in `ws_control`, so the quarantine of `liquidations_ws` only ever sees real format problems). A venue may
also ask for an answer (Deribit's heartbeat test_request): `reply` gives it.

`silence_alarm`: seconds without a DATA or OTHER message after which a subscribed connection counts as
deaf (gap, reconnect), for channels that always carry traffic; None where quiet hours are normal. The
source's `ws_silence_alarm_seconds` overrides it (0 or null: no alarm). Heartbeats, pongs and acks never
count as traffic: a connection the venue keeps alive but feeds nothing is exactly what the alarm is for.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from ingest.config import SourceConfig

DATA, ACK, REJECT, CONTROL, OTHER = "data", "ack", "reject", "control", "other"
TRAFFIC = (DATA, OTHER)  # what proves a subscribed connection is fed
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
    silence_alarm: float | None = None
    # a classifier that needs the source (which instruments are kept); None: `classify` as it is
    classifier: Callable[[SourceConfig], Callable[[Any], str]] | None = None

    def url(self, source: SourceConfig) -> str:
        if not source.ws_url:
            raise ValueError(f"source {source.name!r} has no ws_url")
        return source.ws_url

    def classify_for(self, source: SourceConfig) -> Callable[[Any], str]:
        return self.classifier(source) if self.classifier else self.classify

    def silence_for(self, source: SourceConfig) -> float | None:
        """The silence alarm of a source: its `ws_silence_alarm_seconds`, else the venue's default."""
        if "ws_silence_alarm_seconds" not in source.extra:
            return self.silence_alarm
        value = source.extra["ws_silence_alarm_seconds"]
        if value is None or value == 0:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"source {source.name!r}: ws_silence_alarm_seconds must be a number of seconds "
                             f">= 0 (0 or null: no alarm), not {value!r}")
        return float(value)


# --- Binance USD-M: !forceOrder@arr on the /market route (raw events, `$.o`) -----------------------------------
# Liquidation Order Streams (https://developers.binance.com/docs/derivatives/usds-margined-futures/
# websocket-market-streams/All-Market-Liquidation-Order-Streams and .../Liquidation-Order-Streams):
# `!forceOrder@arr` pushes every symbol's liquidations with the same per-symbol rule as `<symbol>@forceOrder`
# (at most one order per symbol per 1000 ms), so BTCUSDT/ETHUSDT lose nothing by it, and the all-market
# stream (every USD-M symbol) is never quiet for long: its silence means a deaf connection, not a calm market.
# Events of other symbols (altcoins, BTCUSDC, quarterlies) are OTHER: traffic, landed aside, not loaded.
# Important WebSocket Change Notice (.../websocket-market-streams/Important-WebSocket-Change-Notice; announced
# 2026-03, legacy URLs retired 2026-04-23): streams are routed under /public, /market and /private, and
# liquidations are a /market stream. Client maintainers report that the unrouted /ws still completes the
# handshake and then pushes no /market stream at all (no error, no close): the silence alarm catches that.
# Either form is read: /market/ws sends the event, /market/stream?streams=... wraps it as {"stream", "data"}.
def _binance_subscribe(src: SourceConfig) -> list[str]:
    return [json.dumps({"method": "SUBSCRIBE", "params": ["!forceOrder@arr"], "id": 1})]


def _binance_event(doc: Any) -> dict | None:
    if isinstance(doc, dict):
        if doc.get("e") == "forceOrder":
            return doc
        if isinstance(doc.get("data"), dict) and doc["data"].get("e") == "forceOrder":
            return doc["data"]
    return None


def _binance_classify(doc: Any) -> str:
    if _binance_event(doc) is not None:
        return DATA
    if isinstance(doc, dict):
        if "result" in doc and doc.get("id") == 1:
            return ACK
        if "error" in doc:
            return REJECT
    return CONTROL


def _binance_classifier(src: SourceConfig) -> Callable[[Any], str]:
    from ingest.venues.binance import perp_symbol

    kept = {perp_symbol(a) for a in src.assets}

    def classify(doc: Any) -> str:
        event = _binance_event(doc)
        if event is not None:
            order = event.get("o") if isinstance(event.get("o"), dict) else {}
            # an order without a symbol is a format problem for the loader's quarantine, not "another market"
            return OTHER if order.get("s") and order["s"] not in kept else DATA
        return _binance_classify(doc)
    return classify


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
    # Binance pings at the websocket level; the client library answers, nothing to do here. The docs give
    # no liquidation rate: 15 minutes without one on the all-market stream (hundreds of symbols) is our
    # judgment of "deaf". A false alarm marks a quiet stretch unheard (loud); a missed one would count a
    # deaf hour as heard (silent), so the alarm errs early.
    "binance": Protocol("binance", _binance_subscribe, _binance_classify, silence_alarm=900.0,
                        classifier=_binance_classifier),
    "bybit": Protocol("bybit", _bybit_subscribe, _bybit_classify, ping_text=json.dumps({"op": "ping"}),
                      ping_every=20.0),
    "okx": Protocol("okx", _okx_subscribe, _okx_classify, ping_text="ping", ping_every=25.0, ping_when_idle=True),
    "bitmex": Protocol("bitmex", _bitmex_subscribe, _bitmex_classify, ping_text="ping", ping_every=5.0,
                       ping_when_idle=True),
    "deribit": Protocol("deribit", _deribit_subscribe, _deribit_classify, reply=_deribit_reply),
}


def classify(protocol: Protocol, text: str) -> str:
    return protocol.classify(_json(text))


def dataset_for(kind: str) -> str:  # OTHER lands beside the control messages, unchanged, never loaded
    return DATA_DATASET if kind == DATA else CONTROL_DATASET
