"""The shape of a venue's websocket rules, client side: what to subscribe, how to keep alive, what a message is.

Each venue fills it in in its own package (ingest/venues/<venue>/ws.py, `PROTOCOL`); the collector takes
them from the registry (ingest.venues.ws_protocols) and knows no venue by name.

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


def classify(protocol: Protocol, text: str) -> str:
    return protocol.classify(_json(text))


def dataset_for(kind: str) -> str:  # OTHER lands beside the control messages, unchanged, never loaded
    return DATA_DATASET if kind == DATA else CONTROL_DATASET
