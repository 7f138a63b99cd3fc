"""Injected faults: what can go wrong between a venue and the ingest, on demand.

A fault is {"venue", "kind", "count", "path", "params"}: it hits the next `count` requests to that venue
(-1: until cleared) whose path+query (or POST body) contains `path`. The server's middleware applies it
to the venue's real answer, so every venue gets every fault without code of its own. The body transforms
work on the venue's record list, found as the largest list of objects in the JSON body.
"""
from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

KINDS = ("http_429", "http_500", "timeout", "reset", "truncated", "invalid_json", "drift_rename",
         "drift_missing", "drift_new_field", "empty_page", "repeat_page", "absurd")
STATUS_KINDS = ("http_429", "http_500")  # answered without asking the venue
BODY_KINDS = ("truncated", "invalid_json", "drift_rename", "drift_missing", "drift_new_field", "empty_page", "absurd")
_TIME_LIKE = re.compile(r"(time|timestamp|date|interval|expir|^ts$|id$|Id$|_id|^id)", re.IGNORECASE)


class FaultError(ValueError):
    """A fault specification that cannot be used."""


@dataclass
class Fault:
    id: int
    venue: str  # venue key, or "*" for all venues
    kind: str
    count: int = 1  # -1: until cleared
    path: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    hits: int = 0

    def as_dict(self) -> dict:
        remaining = -1 if self.count < 0 else self.count - self.hits
        return {"id": self.id, "venue": self.venue, "kind": self.kind, "count": self.count, "remaining": remaining,
                "path": self.path, "params": self.params, "hits": self.hits}


class FaultBook:
    def __init__(self, venues: tuple[str, ...]):
        self._venues = venues
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, spec: dict | str) -> Fault:
        """Add a fault from a dict or from the CLI form "venue:kind[:count[:path]]"."""
        if isinstance(spec, str):
            parts = spec.split(":", 3)
            if len(parts) < 2:
                raise FaultError(f"fault {spec!r}: expected venue:kind[:count[:path]]")
            spec = {"venue": parts[0], "kind": parts[1]}
            if len(parts) > 2:
                spec["count"] = parts[2]
            if len(parts) > 3:
                spec["path"] = parts[3]
        if not isinstance(spec, dict):
            raise FaultError("a fault is an object")
        venue, kind = spec.get("venue"), spec.get("kind")
        if venue != "*" and venue not in self._venues:
            raise FaultError(f"unknown venue {venue!r}; known: {', '.join(self._venues)} or *")
        if kind not in KINDS:
            raise FaultError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
        try:
            count = int(spec.get("count", 1))
        except (TypeError, ValueError):
            raise FaultError("count must be an integer (-1: until cleared)") from None
        if count == 0 or count < -1:
            raise FaultError("count must be positive or -1")
        params = spec.get("params") or {}
        if not isinstance(params, dict):
            raise FaultError("params must be an object")
        with self._lock:
            fault = Fault(next(self._ids), venue, kind, count, spec.get("path") or None, dict(params))
            self._faults.append(fault)
        return fault

    def take(self, venue: str, target: str) -> Fault | None:
        """The first live fault matching a request, counted as used."""
        with self._lock:
            for fault in self._faults:
                if fault.venue not in ("*", venue) or (fault.path and fault.path not in target):
                    continue
                fault.hits += 1
                if fault.count > 0 and fault.hits >= fault.count:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self, fault_id: int | None = None, venue: str | None = None) -> int:
        with self._lock:
            keep = [f for f in self._faults
                    if (fault_id is not None and f.id != fault_id) or (venue is not None and f.venue != venue)]
            removed = len(self._faults) - len(keep)
            self._faults = keep
            return removed

    def as_list(self) -> list[dict]:
        with self._lock:
            return [f.as_dict() for f in self._faults]


# --- body transforms -------------------------------------------------------------------------------------
def find_records(doc: Any) -> list | None:
    """The record list of a venue body: the largest list of objects anywhere in it (first one on ties)."""
    best: list | None = None
    queue = [doc]
    while queue:
        node = queue.pop(0)
        if isinstance(node, list):
            if node and all(isinstance(x, dict) for x in node) and (best is None or len(node) > len(best)):
                best = node
            queue.extend(x for x in node if isinstance(x, (dict, list)))
        elif isinstance(node, dict):
            queue.extend(v for v in node.values() if isinstance(v, (dict, list)))
    if best is None and isinstance(doc, list) and not doc:
        return doc
    return best


def _is_numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, str) and value.strip():
        try:
            float(value)
            return True
        except ValueError:
            return False
    return False


def value_field(record: dict) -> str | None:
    """The first field holding a number that is a value (a rate, a price), not a time or an id."""
    numeric = [k for k, v in record.items() if _is_numeric(v)]
    plain = [k for k in numeric if not _TIME_LIKE.search(k)]
    return (plain or numeric or [None])[0]


def drifted_name(name: str) -> str:
    """fundingRate -> funding_rate, index_price -> indexPrice, otherwise name_v2."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    if snake != name:
        return snake
    camel = re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)
    return camel if camel != name else name + "_v2"


def _times_1000(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return str(Decimal(value) * 1000)
        except InvalidOperation:
            return value
    return value * 1000


def transform(kind: str, body: bytes, params: dict) -> bytes:
    """Apply a body fault to a venue's answer (JSON bodies only; others come back unchanged)."""
    if kind == "truncated":
        return body[: len(body) // 2]
    if kind == "invalid_json":
        stripped = body.rstrip()
        # a trailing comma before the closing bracket: almost JSON, refused by every strict parser
        return stripped[:-1] + b"," + stripped[-1:] if stripped[-1:] in (b"]", b"}") else b"<html>" + body
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    records = find_records(doc)
    if records is None:
        return body
    if kind == "empty_page":
        records.clear()
    for rec in records:
        if kind == "drift_new_field":
            rec[str(params.get("name", "newField"))] = params.get("value", "1")
        elif kind == "absurd":
            for k, v in list(rec.items()):
                if _is_numeric(v) and not _TIME_LIKE.search(k):
                    rec[k] = _times_1000(v)
        elif kind in ("drift_rename", "drift_missing"):
            name = params.get("field") or value_field(rec)
            if name in rec:
                new_name = params.get("to") or drifted_name(name)
                items = [(new_name if k == name else k, v) for k, v in rec.items()
                         if kind == "drift_rename" or k != name]
                rec.clear()
                rec.update(items)
    return json.dumps(doc, separators=(",", ":")).encode()
