"""The daily pipeline's steps as plain functions: the DAG, the CLI and the demo call these.

Only `load`, `dbt_build`, `validate` and `publish` write to the warehouse; callers serialize them
(an Airflow pool of one slot, or simply running them in order).
"""
from __future__ import annotations

import datetime as dt
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


def connect(read_only: bool = False):
    import duckdb

    path = warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run the pipeline first (make demo / dwh run)")
    return duckdb.connect(str(path), read_only=read_only)


def load(day: str | dt.date, sources: list[str] | None = None) -> dict[str, Any]:
    """Load the landed files of every configured source for the day (disabled ones too: what was
    landed earlier stays loadable)."""
    from ingest.load import load_day
    from ingest.venues import datasets_for, MODULES

    names = sources or [n for n in source_names() if n in MODULES]
    with connect() as con:
        return load_day(con, data_dir(), parse_day(day), {n: datasets_for(n) for n in names})


def dbt_build(day: str | dt.date | None = None, select: str | None = None, exclude: str | None = None) -> None:
    from dwh.dbt import run_dbt

    args = ["build"]
    if select:
        args += ["--select", select]
    if exclude:
        args += ["--exclude", exclude]
    if day is not None:
        args += ["--vars", f"{{run_date: '{parse_day(day).isoformat()}'}}"]
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


def source_freshness(day: str | dt.date) -> dict[str, int]:
    """`dbt source freshness` into raw.source_freshness; stale sources warn (their figures turn 'unverified')."""
    from dwh.freshness import check_and_store

    return check_and_store(parse_day(day))


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


def publish() -> Path:
    from dwh.publish import publish_snapshot

    return publish_snapshot(warehouse_path(), data_dir() / "snapshot")


def brief(day: str | dt.date) -> Path:
    """Write the daily brief, $DWH_DATA_DIR/reports/brief_<D>.md and .html; returns the markdown path."""
    from dwh.brief import write_brief

    return write_brief(parse_day(day))
