"""The daily pipeline's steps as plain functions: the DAG, the CLI and the demo call these.

Only `load`, `dbt_build`, `validate` and `publish` write to the warehouse; callers serialize them
(an Airflow pool of one slot, or simply running them in order).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

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

    target = parse_day(day) if day is not None else dt.datetime.now(dt.timezone.utc).date()
    out: dict[str, Any] = {}
    for source in sources or source_names():
        names = retention_datasets(source)
        if names:
            out[source] = ingest_source(source, target, datasets=names, raise_on_failure=False)
    return out


def connect(read_only: bool = False):
    import duckdb

    path = warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run the pipeline first (make demo / dwh run)")
    return duckdb.connect(str(path), read_only=read_only)


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
    from ingest.venues import datasets_for, MODULES

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


def dbt_build(day: str | dt.date | None = None, select: str | None = None, exclude: str | None = None,
              reference_at: str | dt.datetime | None = None, unit_tests: bool = False) -> None:
    from dwh.dbt import run_dbt

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


FIGURE_SUITES = ("marts.headline_figures",)  # checked by validate_figures, once the figures are built


def validate(day: str | dt.date, *, fail_on_error: bool = True) -> dict[str, Any]:
    from expectations.runner import raise_on_errors, run_suites
    from expectations.suite import load_suites

    suites = [s for s in load_suites() if s.name not in FIGURE_SUITES]
    summary = run_suites(warehouse_path(), parse_day(day), suites=suites)
    if fail_on_error:
        raise_on_errors(summary)
    return summary if isinstance(summary, dict) else getattr(summary, "__dict__", {"summary": str(summary)})


VERIFICATION = "tag:verification"  # headline figures: modelled after validation, from its results


def source_freshness(day: str | dt.date, reference_at: str | dt.datetime | None = None) -> dict[str, int]:
    """`dbt source freshness` into raw.source_freshness, ages measured against D's reference instant (not
    the wall clock); stale sources warn (their figures turn 'unverified')."""
    from dwh.freshness import check_and_store

    return check_and_store(parse_day(day), reference_at)


def verify(day: str | dt.date) -> None:
    """The verification build: headline figures from the marts, the checks' results and the tolerances."""
    dbt_build(day, select=VERIFICATION)


def validate_figures(day: str | dt.date, *, fail_on_error: bool = True) -> dict[str, Any]:
    """GX on what the verification build published (its rows join the day's marts.data_quality_results)."""
    from expectations.runner import raise_on_errors, run_suites

    summary = run_suites(warehouse_path(), parse_day(day), suites=list(FIGURE_SUITES))
    if fail_on_error:
        raise_on_errors(summary)
    return summary.__dict__


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
