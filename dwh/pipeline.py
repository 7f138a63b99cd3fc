"""The daily pipeline's steps as plain functions: the DAG, the CLI and the demo call these.

The run of D: ingest (per source) -> load -> source freshness -> validate (GX on raw) -> one dbt build
(staging, intermediate, marts with their tests, figures) -> validate figures (GX) -> brief -> publish.
Every step but ingest and brief writes to the warehouse; callers serialize them (an Airflow pool of one
slot, or simply running them in order).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ingest import warehouse
from ingest.config import data_dir, enabled_sources, warehouse_path

log = logging.getLogger(__name__)


def parse_day(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise ValueError(f"not a date (expected YYYY-MM-DD): {value!r}") from exc


def source_names(kind: str | None = None) -> list[str]:
    return [s.name for s in enabled_sources(kind)]


def ingest(source: str, day: str | dt.date, *, raise_on_failure: bool = True) -> dict[str, Any]:
    from ingest.run import ingest_source

    return ingest_source(source, parse_day(day), raise_on_failure=raise_on_failure)


def ingest_parallel(sources: list[str], day: dt.date) -> list[dict[str, Any]]:
    """Every source of the day in its own thread (they talk to different hosts and mostly wait); their
    run manifests. One source failing does not stop the others (`failed_sources` names them)."""
    if not sources:
        return []

    def one(source: str) -> dict[str, Any]:
        try:
            return ingest(source, day, raise_on_failure=False)
        except Exception as exc:  # a config or module error of one source; the rest go on
            return {"source": source, "datasets": {"*": {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}}}

    with ThreadPoolExecutor(max_workers=min(6, len(sources)), thread_name_prefix="ingest") as pool:
        return list(pool.map(one, sources))


def failed_sources(manifests: list[dict[str, Any]], *, unfinished: bool = False) -> dict[str, list[str]]:
    """Source -> its datasets whose ingest failed. A dataset skipped by design (an aggregator without its
    key) is not a failure, but it is not finished either: `unfinished=True` counts every dataset that did
    not end 'ok' (a backfill marks a source's day done only when nothing of it is left to fetch)."""
    failed = {m["source"]: [d for d, v in m["datasets"].items()
                            if (v.get("status") != "ok" if unfinished else v.get("status") == "failed")]
              for m in manifests}
    return {s: d for s, d in failed.items() if d}


def sources_by_kind() -> dict[str, list[str]]:
    """The enabled sources grouped by kind (venue, aggregator, onchain), in the sources file's order, from
    one read of the sources file (the DAG calls this at parse time); none enabled raises NothingEnabled."""
    groups: dict[str, list[str]] = {}
    for s in enabled_sources():
        groups.setdefault(s.kind, []).append(s.name)
    if not groups:
        require_enabled_sources()  # raises, naming the file
    return groups


def retention_datasets(source: str) -> list[str]:
    """The source's REST datasets whose venue keeps only a short history (Dataset.retention)."""
    from ingest.venues import MODULES, datasets_for

    if source not in MODULES:
        return []
    return [d.name for d in datasets_for(source) if d.fetch is not None and d.retention is not None]


def poll(day: str | dt.date | None = None, sources: list[str] | None = None) -> dict[str, Any]:
    """Read the retention-limited REST datasets (OKX liquidation orders: one day) for the day in progress
    and land them like any run, so D's daily run at D+1 00:30 finds nothing aged out: each poll records the
    part of D its pages provably held (covered_window), and the daily load reads every landed page of D.
    Loads nothing (no warehouse write). Default day: today (UTC) on this machine's clock, the day being polled.
    A source that fails is reported, the others still poll."""
    from ingest.run import ingest_source

    target = parse_day(day) if day is not None else dt.datetime.now(dt.UTC).date()
    out: dict[str, Any] = {}
    for source in sources or source_names():
        names = retention_datasets(source)
        if names:
            out[source] = ingest_source(source, target, datasets=names, raise_on_failure=False)
    return out


def connect(read_only: bool = False):

    path = warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run the pipeline first (make demo / dwh run)")
    return warehouse.connect(path, read_only=read_only)


class NothingEnabled(RuntimeError):
    """No source is enabled: a run would build and publish an empty day, so it refuses instead."""


def require_enabled_sources() -> list[str]:
    from ingest.config import sources_path

    names = source_names()
    if not names:
        raise NothingEnabled(f"no source is enabled in {sources_path()}: nothing to ingest, build or publish "
                             "(set `enabled: true` on at least one source)")
    return names


def load(day: str | dt.date, sources: list[str] | None = None) -> dict[str, Any]:
    """Load the landed files of every configured source for the day (disabled ones too: what was
    landed earlier stays loadable)."""
    from ingest.load import load_day
    from ingest.venues import MODULES, datasets_for

    names = sources or [n for n in require_enabled_sources() if n in MODULES]
    with connect() as con:
        return load_day(con, data_dir(), parse_day(day), {n: datasets_for(n) for n in names})


def dbt_vars(day: str | dt.date, reference_at: str | dt.datetime | None = None) -> str:
    """dbt's --vars for the run of D: `run_date`, and `run_reference_at` when the caller knows its
    reference instant (Airflow's data interval end). dbt's `run_reference_at()` macro decides which instant
    ages are measured against (D+1 00:30 UTC unless a given one falls on D+1), one rule for every caller."""
    doc: dict[str, str] = {"run_date": parse_day(day).isoformat()}
    if reference_at:
        doc["run_reference_at"] = (reference_at.isoformat() if isinstance(reference_at, dt.datetime)
                                   else str(reference_at))
    return json.dumps(doc)


def ensure_audit_tables() -> None:
    """The check-result tables dbt reads as its `audit` source, empty until a check writes them: a build
    before any check ran (a first run, a test fixture) reads no result rather than a missing relation."""
    from dwh.freshness import ensure_table
    from expectations.runner import RESULTS_DDL, RESULTS_SCHEMA

    with connect() as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {RESULTS_SCHEMA}")
        con.execute(RESULTS_DDL)
        ensure_table(con)


def dbt_build(day: str | dt.date | None = None, select: str | None = None, exclude: str | None = None,
              reference_at: str | dt.datetime | None = None, unit_tests: bool = False) -> None:
    """One `dbt build` of the whole project (or of `select`): staging, intermediate, the marts with their
    tests, the figures layer. Mart tests warn and store their failures in `audit`; the figures read them."""
    from dwh.dbt import run_dbt

    ensure_audit_tables()
    args = ["build"]
    if not unit_tests:
        # dbt's unit tests read fixed fixtures, not the day's data, and need every source table they mock to
        # exist (a disabled venue's does not). dbt recommends them for development and CI only:
        # https://docs.getdbt.com/docs/build/unit-tests ("When to run unit tests");
        # tests/dbt/test_unit_tests.py runs every one of them on an empty raw layer.
        args += ["--exclude-resource-type", "unit_test"]
    if select:
        args += ["--select", select]
    if exclude:
        args += ["--exclude", exclude]
    if day is not None:
        args += ["--vars", dbt_vars(day, reference_at)]
    run_dbt(args)


def _run_suites(day: str | dt.date, phase: str, fail_on_error: bool):
    from expectations.runner import raise_on_errors, run_suites
    from expectations.suite import suites_for

    summary = run_suites(warehouse_path(), parse_day(day), suites=suites_for(phase))
    if fail_on_error:
        raise_on_errors(summary)
    return summary


def validate(day: str | dt.date, *, fail_on_error: bool = True):
    """GX on the raw tables as loaded, before dbt reads them (results into audit.data_quality_results)."""
    return _run_suites(day, "raw", fail_on_error)


def source_freshness(day: str | dt.date, reference_at: str | dt.datetime | None = None) -> dict[str, int]:
    """`dbt source freshness` into audit.source_freshness, ages measured against D's reference instant (not
    the wall clock); stale sources warn (their figures turn 'unverified')."""
    from dwh.freshness import check_and_store

    return check_and_store(parse_day(day), reference_at)


def validate_figures(day: str | dt.date, *, fail_on_error: bool = True):
    """GX on the published figures (figures.*), after the build; its rows join D's audit.data_quality_results,
    which figures.check_results reads, so a failure withholds the figures at publish."""
    return _run_suites(day, "figures", fail_on_error)


def publish(day: str | dt.date | None = None) -> Path:
    """The read-only snapshot. With the run's day, a mart whose error-severity check failed that day keeps
    its previously published copy (or stays out) and the manifest says why (docs/verification.md)."""
    from dwh.publish import publish_snapshot

    return publish_snapshot(warehouse_path(), data_dir() / "snapshot",
                            run_date=parse_day(day) if day is not None else None)


def brief(day: str | dt.date) -> Path:
    """Write the daily brief, $DWH_DATA_DIR/reports/brief_<D>.md and .html; returns the markdown path."""
    from dwh.brief import write_brief

    return write_brief(parse_day(day))


def withheld(day: str | dt.date) -> dict[str, str]:
    """What publishing D would withhold: schema.table -> the error-severity checks that failed."""
    from dwh.publish import withheld_tables

    return withheld_tables(warehouse_path(), parse_day(day))


def steps_after_load(day: str | dt.date, reference_at: str | dt.datetime | None = None
                     ) -> list[tuple[str, Callable[[], Any]]]:
    """The run of D after its load, in the DAG's order (dags/crypto_market_daily.py): named steps, so a
    caller can time, report or stop between them. A failed check never stops this sequence; it withholds
    what it guards at publish."""
    d = parse_day(day)
    return [  # named as the DAG's tasks
        ("source_freshness", lambda: source_freshness(d, reference_at)),
        ("validate", lambda: validate(d, fail_on_error=False)),
        ("dbt_build", lambda: dbt_build(d, reference_at=reference_at)),
        ("validate_figures", lambda: validate_figures(d, fail_on_error=False)),
        ("brief", lambda: brief(d)),
        ("publish", lambda: publish(d)),
    ]


def run_after_load(day: str | dt.date, reference_at: str | dt.datetime | None = None) -> dict[str, Any]:
    """Every step of `steps_after_load`, in order; their results by step name."""
    return {name: step() for name, step in steps_after_load(day, reference_at)}
