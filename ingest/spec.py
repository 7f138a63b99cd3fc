"""The small shape every venue module fills in: its datasets, how to fetch them, how to read them.

A venue module exports `DATASETS`, a list of `Dataset`. `fetch` pulls one UTC day through the
context's client (every response lands by itself); `records` and `fields` tell the loader where the
records sit in a landed body and which values to lift into typed raw columns. Conversions (contract
sizes, sides, epochs) are not done here: they live in the dbt staging models.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from ingest.config import SourceConfig
from ingest.http import HttpClient


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
    fetch: Callable[["FetchContext"], None] | None = None  # None: landed by another process (websocket)
    description: str = ""

    def __post_init__(self) -> None:
        names = {f.name for f in self.fields}
        missing = [k for k in self.key if k not in names]
        if missing:
            raise ValueError(f"dataset {self.name}: key fields {missing} are not among its fields")


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

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(), tzinfo=dt.timezone.utc)

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
