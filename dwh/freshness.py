"""`dbt source freshness`, its verdict kept in the warehouse (audit.source_freshness) for the figures.

A stale source only warns: the run goes on, and figures.headline_figures marks the figures built on that
table 'unverified' (dbt reads the verdicts back as its `audit` source). The check's JSON (dbt's sources.json) is written under the data dir and loaded one
row per source table; a rerun for the same day replaces that day's rows.

Ages are on the run's clock, not the wall clock: the project's `collect_freshness` (dbt_project/macros/
run_clock.sql) compares each table's newest event time among the rows landed for D or before with D's
reference instant (`run_reference_at`, default D+1 00:30 UTC), which dbt reports as `snapshotted_at`. So
a backfill a year late gets the verdicts the run on D+1 got. `checked_at` alone is the wall clock: when
the check ran, kept for the record and to pick the latest of several checks of one day.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from ingest.config import data_dir

log = logging.getLogger(__name__)

SCHEMA = "audit"
TABLE = f"{SCHEMA}.source_freshness"
# One verdict per table and run date, and dbt's own statuses: the writer holds these, no later check has to.
DDL = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    run_date DATE NOT NULL, source_name VARCHAR NOT NULL, table_name VARCHAR NOT NULL, schema_name VARCHAR,
    status VARCHAR NOT NULL CHECK (status IN ('pass', 'warn', 'error', 'runtime error')),
    max_loaded_at TIMESTAMPTZ, snapshotted_at TIMESTAMPTZ, age_hours DOUBLE,
    warn_after_hours DOUBLE, error VARCHAR, checked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_date, source_name, table_name))"""
_PERIOD_HOURS = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}


def results_path(day: dt.date) -> Path:
    return data_dir() / "reports" / f"source_freshness_{day.isoformat()}.json"


def run_check(day: dt.date, reference_at: str | dt.datetime | None = None) -> Path:
    """Run `dbt source freshness` for D (stale sources warn; errors do not raise); keep its JSON under reports/."""
    import shutil

    from dwh.dbt import run_dbt, target_dir
    from dwh.pipeline import dbt_vars

    produced = target_dir() / "sources.json"
    produced.unlink(missing_ok=True)
    proc = run_dbt(["source", "freshness", "--vars", dbt_vars(day, reference_at)], check=False)
    if not produced.exists():
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise RuntimeError(f"dbt source freshness wrote no results (exit {proc.returncode}):\n{tail}")
    out = results_path(day)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(produced, out)
    return out


def _hours(criteria: dict[str, Any] | None) -> float | None:
    spec = (criteria or {}).get("warn_after") or {}
    if not spec.get("count") or spec.get("period") not in _PERIOD_HOURS:
        return None
    return float(spec["count"]) * _PERIOD_HOURS[spec["period"]]


def parse(path: Path, day: dt.date, schemas: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One row per source table from dbt's sources.json; the schema comes from the manifest's sources."""
    doc = json.loads(path.read_text())
    checked_at = (doc.get("metadata") or {}).get("generated_at") or dt.datetime.now(dt.UTC).isoformat()
    rows = []
    for r in doc.get("results") or []:
        parts = str(r.get("unique_id", "")).split(".")
        if len(parts) < 4:
            continue
        source_name, table_name = parts[-2], parts[-1]
        age = r.get("max_loaded_at_time_ago_in_s")
        rows.append({
            "run_date": day, "source_name": source_name, "table_name": table_name,
            "schema_name": (schemas or {}).get(r["unique_id"], "raw"), "status": r.get("status"),
            "max_loaded_at": r.get("max_loaded_at"), "snapshotted_at": r.get("snapshotted_at"),
            "age_hours": None if age is None else round(float(age) / 3600, 3),
            "warn_after_hours": _hours(r.get("criteria")), "error": r.get("error"), "checked_at": checked_at,
        })
    return rows


def source_schemas() -> dict[str, str]:
    from dwh.dbt import DBT_DIR, target_dir

    # the check just wrote this data dir's manifest; the project's own is the fallback
    manifest = target_dir() / "manifest.json"
    if not manifest.exists():
        manifest = DBT_DIR / "target" / "manifest.json"
    if not manifest.exists():
        return {}
    return {uid: node.get("schema") for uid, node in json.loads(manifest.read_text()).get("sources", {}).items()}


def ensure_table(con) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    con.execute(DDL)


def store(con, day: dt.date, rows: list[dict[str, Any]]) -> int:
    ensure_table(con)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {TABLE} WHERE run_date = ?", [day])  # constant table, bound values  # nosec B608
        for r in rows:
            con.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # constant table, bound values  # nosec B608
                        [r["run_date"], r["source_name"], r["table_name"], r["schema_name"], r["status"],
                         r["max_loaded_at"], r["snapshotted_at"], r["age_hours"], r["warn_after_hours"],
                         r["error"], r["checked_at"]])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return len(rows)


def check_and_store(day: dt.date, reference_at: str | dt.datetime | None = None) -> dict[str, int]:
    """The DAG's source_freshness step: run the check, load its verdicts, count them by status."""
    from dwh.pipeline import connect

    rows = parse(run_check(day, reference_at), day, source_schemas())
    with connect() as con:
        store(con, day, rows)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    stale = [f"{r['source_name']}.{r['table_name']}" for r in rows if r["status"] in ("warn", "error")]
    if stale:
        log.warning("stale sources for %s (their figures will be 'unverified'): %s", day, ", ".join(stale))
    return counts
