"""Landed files -> DuckDB raw tables, idempotent on natural keys, with a quarantine for the rest.

Parsing runs inside DuckDB (`read_ndjson_objects` and JSON-path extraction): it is an order of
magnitude faster than json.loads and keeps key case (Binance sends both `s` and `S`).
Each raw table `raw.<source>__<dataset>` holds the typed fields of its Dataset spec plus
`_key` (natural key), `_record` (the record as landed), `_date`, `_file` and `_fetched_at`.
A record that cannot be read goes to `raw.quarantine` with the reason and its file and index.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from ingest.landing import dataset_dir, runs_dir
from ingest.spec import Dataset, Field

log = logging.getLogger(__name__)

RAW_SCHEMA = "raw"


def table_name(source: str, dataset: str) -> str:
    # names come from config and code, but they become SQL text: anything but [A-Za-z0-9_] is refused
    return f"{RAW_SCHEMA}.{_ident(source)}__{_ident(dataset)}"


def sql_str(value: str) -> str:
    """A SQL string literal; every path and name that reaches SQL text goes through here."""
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"unsafe identifier {name!r}")
    return name


def _type(name: str) -> str:
    """A column type from a Field spec (DOUBLE, DECIMAL(18, 8), ...): letters, digits, parentheses only."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*(\(\d+(, ?\d+)?\))?(\[\])?", name):
        raise ValueError(f"unsafe column type {name!r}")
    return name


def _extract(f: Field) -> str:
    if f.path.startswith("env:"):
        return f"(e ->> {sql_str(f.path[4:])})"
    if f.path.startswith("parent:"):
        return f"(p ->> {sql_str(f.path[7:])})"
    return f"(r ->> {sql_str(f.path)})"


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.quarantine (
        source VARCHAR, dataset VARCHAR, date DATE, file VARCHAR, record_index BIGINT,
        reason VARCHAR, payload VARCHAR)""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.ingest_runs (
        source VARCHAR, dataset VARCHAR, date DATE, run_id VARCHAR, status VARCHAR, error VARCHAR,
        responses INTEGER, statuses JSON, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
        PRIMARY KEY (source, dataset, date, run_id))""")
    # the part of the day a retention-limited read provably covered (ingest.spec.VenueClock); older
    # warehouses gain the columns in place
    for col in ("covered_from", "covered_to"):
        con.execute(f"ALTER TABLE {RAW_SCHEMA}.ingest_runs ADD COLUMN IF NOT EXISTS {col} TIMESTAMPTZ")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.load_log (
        source VARCHAR, dataset VARCHAR, date DATE, files INTEGER, responses INTEGER, records INTEGER,
        loaded INTEGER, quarantined INTEGER, PRIMARY KEY (source, dataset, date))""")


def ensure_dataset_table(con: duckdb.DuckDBPyConnection, source: str, ds: Dataset) -> str:
    name = table_name(source, ds.name)
    cols = ", ".join(f"{_ident(f.name)} {_type(f.type)}" for f in ds.fields)
    con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols}, _key VARCHAR, _record JSON, _date DATE, "
                f"_file VARCHAR, _fetched_at TIMESTAMPTZ)")
    existing = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        [RAW_SCHEMA, f"{source}__{ds.name}"]).fetchall()}
    for f in ds.fields:  # a field added to the spec later: widen the table instead of failing
        if f.name not in existing:
            con.execute(f"ALTER TABLE {name} ADD COLUMN {_ident(f.name)} {_type(f.type)}")
    return name


def _strict_json(text: str) -> bool:
    def refuse(token: str) -> None:
        raise ValueError(f"{token} is not JSON")

    try:
        json.loads(text, parse_constant=refuse)
        return True
    except ValueError:
        return False


def _refuse_lenient_json(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB's JSON reader takes trailing commas and NaN/Infinity, which the HTTP client (and RFC 8259)
    refuse: a body the run rejected as invalid must not load. Only bodies where such a token appears
    are parsed again, strictly, in Python."""
    suspects = con.execute(r"""SELECT _file, body_text FROM _bodies
        WHERE b IS NOT NULL AND regexp_matches(body_text, ',\s*[\]}]|NaN|Infinity')""").fetchall()
    invalid = [f for f, text in suspects if not _strict_json(text)]
    if invalid:
        con.execute("UPDATE _bodies SET b = NULL WHERE list_contains(?, _file)", [invalid])


def _drop_patch(path: str) -> str:
    """A JSON merge patch (SQL literal) that removes the member at a dotted path such as `.details`."""
    patch: Any = None
    for part in reversed([p for p in path.lstrip("$").split(".") if p]):
        patch = {part: patch}
    return sql_str(json.dumps(patch))


def _reason_sql(ds: Dataset) -> str:
    parts = []
    for f in ds.fields:
        raw = _extract(f)
        cast = f"TRY_CAST({raw} AS {f.type})"
        if f.required:
            # the path is free text (a quote is legal JSON path syntax): it enters the SQL as a literal
            parts.append(f"CASE WHEN {raw} IS NULL THEN {sql_str(f'missing field {f.name} ({f.path})')} END")
        parts.append(f"CASE WHEN {raw} IS NOT NULL AND {cast} IS NULL "
                     f"THEN 'field {f.name} not a {f.type}: ' || left({raw}, 40) END")
        if f.min is not None:
            parts.append(f"CASE WHEN {cast} < {float(f.min)!r} THEN 'field {f.name} below {f.min}: ' || {cast} END")
        if f.max is not None:
            parts.append(f"CASE WHEN {cast} > {float(f.max)!r} THEN 'field {f.name} above {f.max}: ' || {cast} END")
    return "concat_ws('; ', " + ", ".join(parts) + ")"


def load_files(con: duckdb.DuckDBPyConnection, source: str, ds: Dataset, day: dt.date,
               files: list[Path]) -> dict[str, Any]:
    """Load the given landed files of one dataset; returns counts. Safe to repeat."""
    name = ensure_dataset_table(con, source, ds)
    file_list = "[" + ", ".join(sql_str(str(p)) for p in files) + "]"
    src, dsn, dd = sql_str(source), sql_str(ds.name), sql_str(day.isoformat())
    con.execute(f"DELETE FROM {RAW_SCHEMA}.quarantine WHERE source = {src} AND dataset = {dsn} AND date = {dd}")  # names: _ident/_type; values: sql_str  # nosec B608
    if not files:
        stats = {"files": 0, "responses": 0, "records": 0, "loaded": 0, "quarantined": 0}
        _log_load(con, source, ds.name, day, stats)
        return stats
    # `$.data[*].details` means: the records are each `details` array inside each element of `data`
    # (OKX nests liquidations so); fields read the outer element with `parent:$.x`.
    outer_path, _, inner_path = ds.records.partition("[*]")
    records_path = sql_str(outer_path)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _env AS
        -- `e` (read by env: fields) rides along with every record: without the body it stays small, with
        -- it a 1,000-record page would be copied 1,000 times (quadratic in the page size).
        SELECT filename AS _file, json_merge_patch(json, '{{"body": null}}') AS e,
               TRY_CAST(json ->> '$.status' AS INTEGER) AS status,
               json ->> '$.body' AS body_text, json ->> '$.body_encoding' AS body_encoding,
               TRY_CAST(json ->> '$.fetched_at' AS TIMESTAMPTZ) AS fetched_at
        FROM read_ndjson_objects({file_list}, filename = true, ignore_errors = true)
    """)  # names: _ident/_type; values: sql_str  # nosec B608
    # Bodies that are not records: invalid JSON, or no records where the spec expects them.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _bodies AS
        SELECT *, CASE WHEN body_encoding = 'utf-8' AND json_valid(body_text) THEN body_text::JSON END AS b
        FROM _env WHERE status BETWEEN 200 AND 299
    """)  # names: _ident/_type; values: sql_str  # nosec B608
    _refuse_lenient_json(con)
    if ds.envelope:
        envelope = sql_str(ds.envelope)
        con.execute(f"""
            UPDATE _bodies SET b = b -> {envelope}
            WHERE json_type(b, {records_path}) IS NULL AND json_type(b, {envelope}) = 'OBJECT'
        """)  # names: _ident/_type; values: sql_str  # nosec B608
    con.execute(f"""
        INSERT INTO {RAW_SCHEMA}.quarantine
        SELECT {src}, {dsn}, {dd}::DATE, _file, NULL,
               CASE WHEN b IS NULL THEN 'body is not valid JSON'
                    ELSE 'no records at ' || {records_path} || ' (json type ' || coalesce(json_type(b, {records_path}), 'absent') || ')' END,
               left(body_text, 2000)
        FROM _bodies
        WHERE b IS NULL OR coalesce(json_type(b, {records_path}), 'NULL') NOT IN ('ARRAY', 'OBJECT')
    """)  # names: _ident/_type; values: sql_str  # nosec B608
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _records AS
        WITH arr AS (
            SELECT _file, e, fetched_at,
                   CAST(CASE WHEN json_type(b, {records_path}) = 'ARRAY' THEN b -> {records_path}
                             ELSE json_array(b -> {records_path}) END AS JSON[]) AS a
            FROM _bodies WHERE json_type(b, {records_path}) IN ('ARRAY', 'OBJECT')
        )
        -- unnest in the select list, not as a lateral join: the lateral form re-reads the whole page
        -- for every element (quadratic; seconds for a 1,000-record page)
        SELECT _file, e, fetched_at, unnest(a) AS r, generate_subscripts(a, 1) AS i, NULL::JSON AS p
        FROM arr
    """)  # names: _ident/_type; values: sql_str  # nosec B608
    if inner_path:
        inner = sql_str("$" + inner_path.lstrip("$"))
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _records AS
            WITH o AS (
                -- the parent without its own array, else every record would carry all its siblings
                SELECT _file, e, fetched_at, i, json_merge_patch(r, {_drop_patch(inner_path)}) AS p,
                       CAST(CASE WHEN json_type(r, {inner}) = 'ARRAY' THEN r -> {inner}
                                 ELSE json_array() END AS JSON[]) AS d
                FROM _records
            )
            SELECT _file, e, fetched_at, unnest(d) AS r, i * 100000 + generate_subscripts(d, 1) AS i, p FROM o
        """)  # names: _ident/_type; values: sql_str  # nosec B608
    reason = _reason_sql(ds)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _checked AS SELECT *, {reason} AS _reason FROM _records")  # names: _ident/_type; values: sql_str  # nosec B608
    con.execute(f"""
        INSERT INTO {RAW_SCHEMA}.quarantine
        SELECT {src}, {dsn}, {dd}::DATE, _file, i, _reason, left(r::VARCHAR, 2000)
        FROM _checked WHERE _reason <> ''
    """)  # names: _ident/_type; values: sql_str  # nosec B608
    cols = ", ".join(_ident(f.name) for f in ds.fields)
    typed = ", ".join(f"TRY_CAST({_extract(f)} AS {f.type}) AS {_ident(f.name)}" for f in ds.fields)
    key = "concat_ws('|', " + ", ".join(f"CAST({_ident(k)} AS VARCHAR)" for k in ds.key) + ")"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _good AS
        WITH t AS (SELECT {typed}, r AS _record, _file, fetched_at AS _fetched_at FROM _checked WHERE _reason = '')
        SELECT {cols}, {key} AS _key, _record, {dd}::DATE AS _date, _file, _fetched_at FROM t
        -- overlapping or repeated pages: the latest answer for a key wins
        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _fetched_at DESC, _file DESC) = 1
    """)  # names: _ident/_type; values: sql_str  # nosec B608
    con.execute(f"DELETE FROM {name} WHERE _key IN (SELECT _key FROM _good)")  # names: _ident/_type; values: sql_str  # nosec B608
    con.execute(f"INSERT INTO {name} ({cols}, _key, _record, _date, _file, _fetched_at) "
                f"SELECT {cols}, _key, _record, _date, _file, _fetched_at FROM _good")  # names: _ident/_type; values: sql_str  # nosec B608
    stats = {
        "files": len(files),
        "responses": con.execute("SELECT count(*) FROM _env").fetchone()[0],
        "records": con.execute("SELECT count(*) FROM _records").fetchone()[0],
        "loaded": con.execute("SELECT count(*) FROM _good").fetchone()[0],
        "quarantined": con.execute(
            f"SELECT count(*) FROM {RAW_SCHEMA}.quarantine WHERE source = {src} AND dataset = {dsn} AND date = {dd}"  # names: _ident/_type; values: sql_str  # nosec B608
        ).fetchone()[0],
    }
    _log_load(con, source, ds.name, day, stats)
    return stats


def _log_load(con: duckdb.DuckDBPyConnection, source: str, dataset: str, day: dt.date, stats: dict[str, Any]) -> None:
    con.execute(f"INSERT OR REPLACE INTO {RAW_SCHEMA}.load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [source, dataset, day, stats["files"], stats["responses"], stats["records"], stats["loaded"],
                 stats["quarantined"]])


def landed_files(root: Path, source: str, dataset: str, day: dt.date) -> list[Path]:
    d = dataset_dir(root, source, dataset, day)
    if not d.exists():
        return []
    # websocket datasets land in hourly subfolders (ingest.stream); only closed files, never `.partial`
    found = [*d.glob("*.ndjson.gz"), *d.glob("hour=*/*.ndjson.gz")]
    return sorted(p for p in found if not p.name.startswith("."))


def load_run_manifests(con: duckdb.DuckDBPyConnection, root: Path, source: str, day: dt.date) -> int:
    d = runs_dir(root, source, day)
    n = 0
    for path in sorted(d.glob("*.json")) if d.exists() else []:
        m = json.loads(path.read_text())
        for dataset, entry in m.get("datasets", {}).items():
            window = (entry.get("notes") or {}).get("covered_window") or {}
            con.execute(f"""INSERT OR REPLACE INTO {RAW_SCHEMA}.ingest_runs
                            (source, dataset, date, run_id, status, error, responses, statuses, started_at,
                             finished_at, covered_from, covered_to)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                        [m["source"], dataset, m["date"], m["run_id"], entry.get("status"), entry.get("error"),
                         entry.get("responses"), json.dumps(entry.get("statuses") or {}), m.get("started_at"),
                         m.get("finished_at"), window.get("from"), window.get("to")])
            n += 1
    return n


def load_day(con: duckdb.DuckDBPyConnection, root: Path, day: dt.date,
             datasets_by_source: dict[str, Iterable[Dataset]]) -> dict[str, dict[str, Any]]:
    """Load every dataset of every given source for one day, each in its own transaction."""
    ensure_tables(con)
    out: dict[str, dict[str, Any]] = {}
    for source, datasets in datasets_by_source.items():
        load_run_manifests(con, root, source, day)
        for ds in datasets:
            con.execute("BEGIN TRANSACTION")
            try:
                stats = load_files(con, source, ds, day, landed_files(root, source, ds.name, day))
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            out[f"{source}.{ds.name}"] = stats
            log.info("loaded %s.%s %s: %s", source, ds.name, day, stats)
        from ingest.stream.load import load_stream_day  # hours present and gaps of the websocket datasets

        con.execute("BEGIN TRANSACTION")
        try:
            out[f"{source}._streams"] = load_stream_day(con, root, day, source, datasets)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return out
