"""The small shape every venue module fills in: its datasets, how to fetch them, how to read them.

A venue module exports `DATASETS`, a list of `Dataset`. `fetch` pulls one UTC day through the
context's client (every response lands by itself); `records` and `fields` tell the loader where the
records sit in a landed body and which values to lift into typed raw columns. Conversions (contract
sizes, sides, epochs) are not done here: they live in the dbt staging models.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ingest.config import SourceConfig
from ingest.http import HttpClient, SourceError


@dataclass(frozen=True)
class Field:
    name: str
    path: str  # JSON path inside a record; `env:$.x` reads the landed envelope (e.g. request params),
    # `parent:$.x` the enclosing element when records are nested (`$.data[*].details`)
    type: str = "VARCHAR"
    required: bool = True
    min: float | None = None  # values outside [min, max] are absurd: quarantined, not loaded
    max: float | None = None


@dataclass(frozen=True)
class Dataset:
    name: str
    records: str  # JSON path to the records in a body; an object there counts as one record;
    # `$.data[*].details` flattens an array nested in each element of `$.data`
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    fetch: Callable[[FetchContext], None] | None = None  # None: landed by another process (websocket)
    description: str = ""
    # A body with nothing at `records` but an object at `envelope` is read inside that object: the same
    # message in a wrapper (Binance's combined streams `{"stream": name, "data": event}`)
    envelope: str | None = None
    # How far back the venue still answers, by its documentation (`retention_doc`: the page and what it
    # says). None: not limited, or not a history. A dataset with a retention records the window its pages
    # provably cover (`covered_window`), so a day fetched too late is told apart from a quiet one.
    retention: dt.timedelta | None = None
    retention_doc: str = ""
    # A required integer time the venue gives a key once and never changes (a trade's match time), by its
    # documentation (`fixed_time_doc`: the page and what it says). When the key itself holds no time, it
    # bounds the loader's key replacement to the new rows' range of it (ingest.load._time_bound), so a day's
    # load reads the row groups of those times, not the whole key column. Should the venue ever send a key
    # again with another time, the stored row survives beside the new one, and the raw table's `_key`
    # uniqueness check (error severity, the whole table) fails the run.
    fixed_time: str | None = None
    fixed_time_doc: str = ""

    def __post_init__(self) -> None:
        names = {f.name for f in self.fields}
        missing = [k for k in self.key if k not in names]
        if missing:
            raise ValueError(f"dataset {self.name}: key fields {missing} are not among its fields")
        if self.fixed_time is not None:
            f = next((f for f in self.fields if f.name == self.fixed_time), None)
            if f is None or not f.required or f.type.upper() not in ("BIGINT", "INTEGER", "DATE"):
                raise ValueError(f"dataset {self.name}: fixed_time {self.fixed_time!r} must be a required "
                                 "BIGINT, INTEGER or DATE field")
            if not self.fixed_time_doc.startswith("https://"):
                raise ValueError(f"dataset {self.name}: fixed_time needs the venue's page (fixed_time_doc)")


def covered_window(day_start: dt.datetime, day_end: dt.datetime, first_request: dt.datetime,
                   last_request: dt.datetime, retention: dt.timedelta | None) -> tuple[dt.datetime, dt.datetime] | None:
    """The part of [day_start, day_end) that one read of a retention-limited history provably holds.

    A read that pages backwards (or forwards) through the day between `first_request` and `last_request`
    (the venue's clock) sees what happened up to the first request, and nothing older than the retention
    before the last one: [last_request - retention, first_request]. None when that misses the day.
    """
    lo = day_start if retention is None else max(day_start, last_request - retention)
    hi = min(day_end, first_request)
    return (lo, hi) if lo < hi else None


class VenueClock:
    """The venue's clock over one read: its time at the first and at the last answer.

    The time is the answer's Date header (HttpClient.last_server_time), whole seconds rounded down; without
    one, this machine's clock (noted as `local`). `record` puts the part of the day the read provably
    covers into the run's notes as `covered_window` (ISO instants, or nulls when it covers none of it).
    """

    def __init__(self, ctx: FetchContext):
        self.ctx = ctx
        self.first: float | None = None
        self.last: float | None = None
        self.local = False

    def tick(self) -> None:
        t = getattr(self.ctx.client, "last_server_time", None)
        if t is None:
            t, self.local = time.time(), True
        else:
            t += 1.0  # a Date header is truncated to the second: the answer was made within the next one
        if self.first is None:
            self.first = t - (0.0 if self.local else 1.0)  # the newest data served: no later than the header
        self.last = t

    def record(self, retention: dt.timedelta | None) -> None:
        if self.first is None or self.last is None:
            return
        at = lambda t: dt.datetime.fromtimestamp(t, dt.UTC)  # noqa: E731
        window = covered_window(self.ctx.start, self.ctx.end, at(self.first), at(self.last), retention)
        self.ctx.notes["covered_window"] = {
            "from": window[0].isoformat() if window else None, "to": window[1].isoformat() if window else None,
            "first_answer": at(self.first).isoformat(), "last_answer": at(self.last).isoformat(),
            "retention_s": retention.total_seconds() if retention else None,
            "clock": "local" if self.local else "venue"}


class InputMissing(SourceError):
    """A dataset's input from an earlier dataset of the same run is not there (`FetchContext.needs`).

    ingest_source reports the dataset as skipped because of that input when the input failed in the
    run, and as failed when it was not run at all (asked for alone)."""

    def __init__(self, source: str, dataset: str, what: str):
        super().__init__(f"{source}: {what} unknown: run {dataset} first in the same run")
        self.input_dataset = dataset


@dataclass
class FetchContext:
    source: SourceConfig
    client: HttpClient
    day: dt.date
    log: logging.Logger
    notes: dict[str, Any] = field(default_factory=dict)
    # what a dataset hands to a later one of the same run (ingest_source shares one dict across them):
    # Binance's option expiries, Esplora's tx counts. Never across runs: a rerun reads afresh.
    handover: dict[str, Any] = field(default_factory=dict)

    def needs(self, key: str, dataset: str, what: str) -> Any:
        """What the earlier `dataset` of this run handed over under `key`; InputMissing without it."""
        if key not in self.handover:
            raise InputMissing(self.source.name, dataset, what)
        return self.handover[key]

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(), tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """Exclusive end of the day: D+1 00:00 UTC."""
        return self.start + dt.timedelta(days=1)

    @property
    def start_ms(self) -> int:
        return int(self.start.timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        return int(self.end.timestamp() * 1000)
