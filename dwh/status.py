"""`dwh status`: what ran, how fresh each source is, which checks fail, which figures are unverified,
and the stream alerts: websocket connections the collector found deaf (open, subscribed, fed nothing).

Reads the warehouse read-only, and the collector's state files in the landing zone (a standing alarm
is there before any load has seen its gap). When a pipeline step holds the write lock, the mart sections fall
back to the published snapshot (raw tables are not published, so the ingest sections say so).
Each section is skipped while its table does not exist yet; a missing figures layer is said in a note.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dwh.publish import snapshot_schema
from ingest.warehouse import connect as open_warehouse

# dbt's source freshness threshold (models/staging/_sources.yml: warn_after 36 hours).
STALE_AFTER = dt.timedelta(hours=36)
# The scheduled run of D reads D at D+1 00:30 UTC: ages are measured against the latest run's reference
# instant, never the wall clock, so the same warehouse reads the same whenever it is asked.
REFERENCE_AFTER_CLOSE = dt.timedelta(minutes=30)


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    note: str | None = None


@dataclass
class Status:
    origin: str  # what was read: the warehouse or the snapshot
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _tables(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    return {(s, t) for s, t in con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = current_database()"
    ).fetchall()}


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ?", [schema, table]).fetchall()}


@dataclass(frozen=True)
class Layer:
    """Where the figures layer's two relations are read: always the figures layer, as each origin holds it."""
    figures: tuple[str, str]
    checks: tuple[str, str]
    where: str
    checks_shown: str  # as a reader of that origin names it


WAREHOUSE = Layer(("figures", "headline_figures"), ("figures", "check_results"), "the warehouse",
                  "figures.check_results")
# The snapshot publishes the figures layer's tables, not its views: the check results (the view
# figures.check_results) are published as the table marts.data_quality_results (dwh/publish.py), the
# snapshot's only copy of them.
SNAPSHOT = Layer(("figures", "headline_figures"), (snapshot_schema("marts"), "data_quality_results"),
                 "the snapshot", "marts.data_quality_results")


def _name(relation: tuple[str, str]) -> str:
    return f'{relation[0]}."{relation[1]}"'


def _missing(layer: Layer, tables: set[tuple[str, str]]) -> list[str]:
    """A note per figures-layer relation the origin lacks: the figures are not built (or published) yet."""
    out = []
    if layer.figures not in tables:
        out.append(f"no {'.'.join(layer.figures)} in {layer.where}: no figures to judge; the pipeline "
                   f"(dwh run) builds it")
    if layer.checks not in tables:
        out.append(f"no {layer.checks_shown} in {layer.where}: no check results to show; the pipeline "
                   f"(dwh run) builds it")
    return out


def _runs_section(con, tables) -> Section | None:
    if ("staging", "stg_ingest__runs") in tables:
        src = "staging.stg_ingest__runs"
    elif ("raw", "ingest_runs") in tables:
        src = "raw.ingest_runs"
    else:
        return None
    rows = con.execute(f"""
        WITH latest AS (
            SELECT * FROM {src}
            QUALIFY row_number() OVER (PARTITION BY source, dataset ORDER BY date DESC, started_at DESC) = 1
        )
        SELECT source, max(date) AS last_date,
               count(*) FILTER (WHERE status = 'ok') AS datasets_ok,
               count(*) FILTER (WHERE status <> 'ok') AS datasets_failed,
               string_agg(CASE WHEN status <> 'ok' THEN dataset END, ', ' ORDER BY dataset) AS failed,
               strftime(max(finished_at) AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M') AS finished_utc
        FROM latest GROUP BY source ORDER BY source""").fetchall()  # names: constants, or [A-Za-z0-9_] raw tables  # nosec B608
    return Section("Last ingest run per source (latest date per dataset)",
                   ["source", "last date", "ok", "failed", "failed datasets", "finished (UTC)"], rows)


def _freshness_section(con, tables) -> Section | None:
    raw = sorted(t for s, t in tables if s == "raw" and "__" in t and "_fetched_at" in _columns(con, "raw", t))
    if not raw:
        return None
    union = " UNION ALL ".join(
        f"SELECT '{t.split('__', 1)[0]}' AS source, max(_fetched_at) AS fetched, max(_date) AS day, count(*) AS n "
        f'FROM raw."{t}"' for t in raw)  # names: constants, or [A-Za-z0-9_] raw tables  # nosec B608
    rows = con.execute(f"""
        SELECT source, max(day) AS latest_day, max(fetched) AS last_fetch, sum(n) AS rows_total
        FROM ({union}) GROUP BY source ORDER BY source""").fetchall()  # names: constants, or [A-Za-z0-9_] raw tables  # nosec B608
    days = [day for _, day, _, _ in rows if day is not None]
    if not days:
        return None
    # a source's data counts from the close its latest run described (D+1 00:00); the fetch time is shown,
    # not judged: a backfill fetches late by design
    latest = max(days)
    reference = dt.datetime.combine(latest + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC) \
        + REFERENCE_AFTER_CLOSE
    out = []
    for source, day, fetched, n in rows:
        if day is None:
            out.append((source, None, None, None, n, "no data"))
            continue
        age = reference - dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
        out.append((source, day, fetched.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if fetched else None,
                    round(age.total_seconds() / 3600, 1), n, "stale" if age > STALE_AFTER else "fresh"))
    return Section(f"Freshness per source (stale after {int(STALE_AFTER.total_seconds() // 3600)} h)",
                   ["source", "latest day", "last fetch (UTC)", "age h", "rows", "state"], out,
                   f"ages at the reference time of the latest run, {latest} "
                   f"({reference:%Y-%m-%d %H:%M} UTC), not the wall clock")


def _checks_section(con, tables, layer: Layer) -> Section | None:
    # the figures layer's union of GX results and the marts' dbt tests
    if layer.checks not in tables:
        return None
    name = _name(layer.checks)
    rows = con.execute(f"""
        SELECT run_date, suite, expectation, status, severity, observed_value FROM {name}
        WHERE run_date = (SELECT max(run_date) FROM {name}) AND status IN ('failed', 'error')
        ORDER BY severity, suite, expectation""").fetchall()  # names: constants, or [A-Za-z0-9_] raw tables  # nosec B608
    total = con.execute(f"SELECT max(run_date), count(*) FROM {name} "
                        f"WHERE run_date = (SELECT max(run_date) FROM {name})").fetchone()  # names: constants, or [A-Za-z0-9_] raw tables  # nosec B608
    note = f"{len(rows)} of {total[1]} checks failing on the run of {total[0]}" if total[0] else "no checks recorded"
    return Section("Failing checks (latest validation run)",
                   ["run date", "suite", "expectation", "status", "severity", "observed"], rows, note)


def _unverified_section(con, tables, layer: Layer) -> Section | None:
    if layer.figures not in tables:
        return None
    name = _name(layer.figures)
    cols = _columns(con, *layer.figures)
    wanted = [c for c in ("date", "figure", "asset", "entity", "value", "unit", "verification_status", "reason")
              if c in cols]
    rows = con.execute(f"""
        SELECT {', '.join(wanted)} FROM {name}
        WHERE date = (SELECT max(date) FROM {name}) AND coalesce(verification_status, '') <> 'verified'
        ORDER BY figure""").fetchall()  # names: constants, or [A-Za-z0-9_] raw tables  # nosec B608
    return Section("Figures not verified (latest day)", wanted, rows,
                   None if rows else "every figure of the latest day is verified")


# the collector's reason for a gap it closed itself because the connection brought no data (ingest.stream)
SILENT = "silent connection"


def _stream_alerts_section(con, tables) -> Section | None:
    """Deaf connections of the latest stream day loaded: their hours do not count as heard."""
    if ("raw", "stream_gaps") not in tables:
        return None
    day_of = "(SELECT max(date) FROM raw.stream_hours)" if ("raw", "stream_hours") in tables \
        else "(SELECT max(_date) FROM raw.stream_gaps)"
    rows = con.execute(f"""
        WITH d AS (SELECT {day_of} AS day)
        SELECT DISTINCT g.source,
               strftime(g.started_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') AS started_utc,
               strftime(g.ended_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') AS ended_utc,
               round(date_diff('second', g.started_at, g.ended_at) / 60.0, 1) AS minutes, g.reason
        FROM raw.stream_gaps AS g, d
        WHERE contains(g.reason, ?)  -- also inside 'could not subscribe: silent connection: no ack ...'
            AND g.started_at < (d.day + INTERVAL 1 DAY)::TIMESTAMP AT TIME ZONE 'UTC'
            AND g.ended_at > d.day::TIMESTAMP AT TIME ZONE 'UTC'
        ORDER BY g.source, started_utc""", [SILENT]).fetchall()  # names: constants  # nosec B608
    day = con.execute(f"SELECT {day_of}").fetchone()[0]  # names: constants  # nosec B608
    title = f"Stream alerts: silent connections on {day} (not counted as heard)"
    return Section(title, ["source", "silent from (UTC)", "until (UTC)", "minutes", "reason"], rows,
                   f"ALERT: {len({r[0] for r in rows})} source(s) had deaf connections" if rows else None)


def _collector_alarms_section(landing: Path) -> Section | None:
    """Alarms the running collector raised and that no data has cleared yet (not loaded anywhere)."""
    base = landing / "_gaps"
    states = sorted(base.glob("source=*/_state.json")) if base.exists() else []
    rows = []
    for path in states:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # being replaced this instant; the next look reads it
        alarm = doc.get("alarm")
        if isinstance(alarm, dict) and doc.get("status") == "running":
            rows.append((doc.get("source"), alarm.get("since"), alarm.get("raised_at"), doc.get("alive_at"),
                         alarm.get("reason")))
    if not rows:
        return None
    return Section("Stream alerts: collector alarms standing now", ["source", "silent since", "raised at",
                   "collector alive at", "reason"], rows,
                   f"ALERT: {len(rows)} stream(s) deliver nothing; the collector keeps reconnecting")


def collect(warehouse: Path, snapshot: Path, landing: Path | None = None) -> Status:
    if landing is None:
        from ingest.config import data_dir

        landing = data_dir() / "landing"
    try:
        if not warehouse.exists():
            raise FileNotFoundError(warehouse)
        con = open_warehouse(warehouse, read_only=True)
        status, layer = Status(origin=f"warehouse {warehouse}"), WAREHOUSE
    except (FileNotFoundError, duckdb.IOException) as exc:
        if not snapshot.exists():
            raise FileNotFoundError(
                f"no warehouse at {warehouse} and no snapshot at {snapshot}: run the pipeline first") from exc
        con = open_warehouse(snapshot, read_only=True)
        reason = "is locked by a running step" if warehouse.exists() else "does not exist"
        status = Status(origin=f"snapshot {snapshot}",
                        notes=[f"the warehouse {reason}; ingest runs and freshness need it (raw is not published)"])
        layer = SNAPSHOT
    with con:
        tables = _tables(con)
        status.notes.extend(_missing(layer, tables))
        builders = [lambda: _runs_section(con, tables), lambda: _freshness_section(con, tables),
                    lambda: _stream_alerts_section(con, tables),
                    lambda: _checks_section(con, tables, layer), lambda: _unverified_section(con, tables, layer)]
        for build in builders:
            section = build()
            if section is not None:
                status.sections.append(section)
    alarms = _collector_alarms_section(landing)
    if alarms is not None:
        status.sections.insert(0, alarms)
    if not status.sections:
        status.notes.append("nothing to report yet: no ingest runs, checks or figures in the warehouse")
    return status
