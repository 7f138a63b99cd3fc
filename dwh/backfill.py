"""Backfill a range of days: ingest + load per day, then one dbt build, validation and publish.

Why one build at the end and not one per day: every mart is a full rebuild from staging over all
of raw, so a build per day would redo the same work N times (quadratic in the range) and each
intermediate snapshot would be superseded minutes later. Loading is what is incremental, so
that is the unit of progress that gets recorded.

Progress is recorded as one marker file per source and day under
`$DWH_DATA_DIR/state/backfill/<source>/<YYYY-MM-DD>.json`, written atomically after the day's
landed files are loaded. The marker lives outside the warehouse on purpose: it is readable while a
writer holds the DuckDB lock, and deleting a marker (or `--force`) is the way to redo a day.
A day counts as done for a call when every source it asks for has a marker; a day interrupted
half-way has none, so the next call ingests it again (landing and loading are idempotent on the
natural keys, so a repeated day adds no duplicates).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.config import data_dir


def state_dir() -> Path:
    return data_dir() / "state" / "backfill"


def marker_path(source: str, day: dt.date) -> Path:
    return state_dir() / source / f"{day.isoformat()}.json"


def is_done(source: str, day: dt.date) -> bool:
    return marker_path(source, day).exists()


def mark_done(source: str, day: dt.date, info: dict[str, Any]) -> None:
    path = marker_path(source, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps({"source": source, "date": day.isoformat(),
                               "finished_at": dt.datetime.now(dt.UTC).isoformat(), **info}, default=str))
    os.replace(tmp, path)  # a crash leaves either no marker or a whole one


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def pending_sources(day: dt.date, sources: Iterable[str], force: bool = False) -> list[str]:
    return [s for s in sources if force or not is_done(s, day)]


@dataclass
class DayResult:
    day: dt.date
    skipped: bool
    ingested: list[str] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)  # source -> failed datasets
    seconds: float = 0.0


def run_day(day: dt.date, sources: list[str], *, force: bool = False,
            before_ingest: Callable[[dt.date], None] | None = None) -> DayResult:
    from dwh import pipeline

    todo = pending_sources(day, sources, force)
    if not todo:
        return DayResult(day, skipped=True)
    started = time.monotonic()
    if before_ingest:
        before_ingest(day)
    manifests = pipeline.ingest_parallel(todo, day)
    failed = pipeline.failed_sources(manifests, unfinished=True)
    pipeline.load(day, todo)
    for m in manifests:
        if m["source"] not in failed:
            mark_done(m["source"], day, {"run_id": m.get("run_id")})
    return DayResult(day, skipped=False, ingested=todo, failed=failed, seconds=time.monotonic() - started)
