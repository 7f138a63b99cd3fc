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
from ingest.spec import Dataset

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
        con.execute("UPDATE _bodies SET b = NULL, x = NULL, jt = NULL WHERE list_contains(?, _file)", [invalid])


def _sources_of(ds: Dataset) -> tuple[list[str], list[str], list[str], list[str]]:
    """Each field's raw-text expression, and the distinct JSON paths read in the envelope, the parent and
    the record. Every document is parsed once: `json_extract_string` with a list of paths lifts them all
    in one pass, where one `->>` per field parsed the record (or the whole envelope, body included) again
    for every field."""
    paths: dict[str, list[str]] = {"env": [], "parent": [], "rec": []}
    raws = []
    for f in ds.fields:
        kind, path = ("env", f.path[4:]) if f.path.startswith("env:") else \
            ("parent", f.path[7:]) if f.path.startswith("parent:") else ("rec", f.path)
        if path not in paths[kind]:
            paths[kind].append(path)
        column = {"env": "_ev", "parent": "_pv", "rec": "_rv"}[kind]
        raws.append(f"{column}[{paths[kind].index(path) + 1}]")
    return raws, paths["env"], paths["parent"], paths["rec"]


def _path_list(paths: list[str]) -> str:
    return "[" + ", ".join(sql_str(p) for p in paths) + "]::VARCHAR[]"


def _reason_sql(ds: Dataset, raws: list[str]) -> str:
    parts = []
    for f, raw in zip(ds.fields, raws, strict=True):
        cast = f"TRY_CAST({raw} AS {_type(f.type)})"
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


# Key fields whose text never holds the key separator `|`: a time of one of these types in the key bounds
# where older rows of the same key can be (see _time_bound).
_SEPARATOR_FREE = ("BIGINT", "INTEGER", "SMALLINT", "HUGEINT", "DATE")


def _time_bound(ds: Dataset) -> str | None:
    """The key field that bounds the key replacement, when the key provably pins it.

    `_key` is concat_ws('|', key fields as text). When every key field is required (never NULL in a loaded
    row), two rows whose key fields hold no `|` have one segment per field, so the same `_key` means the
    same value of every field, this one included: a row the new rows replace lies between the new rows'
    min and max of it, and the DELETE may skip every row group outside that range (DuckDB's zone maps)
    instead of reading the whole key column. load_files checks the `|` per load (else the full scan); a
    row already stored that held a `|` cannot share a `_key` with one that holds none (one more `|`)."""
    by_name = {f.name: f for f in ds.fields}
    if not all(by_name[k].required for k in ds.key):
        return None
    for k in ds.key:
        if by_name[k].type.upper() in _SEPARATOR_FREE:
            return k
    return None


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
    raws, env_paths, parent_paths, rec_paths = _sources_of(ds)
    # `$.data[*].details` means: the records are each `details` array inside each element of `data`
    # (OKX nests liquidations so); fields read the outer element with `parent:$.x`.
    outer_path, _, inner_path = ds.records.partition("[*]")
    records_path = sql_str(outer_path)
    # The envelope's members are lifted in one parse of each landed line: status, body, and the values
    # `env:` fields read (small), so no copy of the envelope rides along with every record.
    head = ["$.status", "$.body", "$.body_encoding", "$.fetched_at"]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _bodies AS
        WITH v AS (
            SELECT filename AS _file, json_extract_string(json, {_path_list(head + env_paths)}) AS v
            FROM read_ndjson_objects({file_list}, filename = true, ignore_errors = true)
        ), e AS (
            SELECT _file, TRY_CAST(v[1] AS INTEGER) AS status, v[2] AS body_text, v[3] AS body_encoding,
                   TRY_CAST(v[4] AS TIMESTAMPTZ) AS fetched_at, v[5:] AS _ev
            FROM v
        ), b AS (
            -- every response counts; only a 2xx one has a body to read (`b`, NULL when not valid JSON)
            SELECT *, status BETWEEN 200 AND 299 AS ok,
                   CASE WHEN ok AND body_encoding = 'utf-8' THEN TRY_CAST(body_text AS JSON) END AS b
            FROM e
        ), x AS (
            -- the records' place read once per body: its value (`x`), then its JSON type
            SELECT *, json_extract(b, {records_path}) AS x FROM b
        )
        -- json_extract writes compact JSON: its first character tells an array or an object without a parse
        SELECT *, CASE left(x, 1) WHEN '[' THEN 'ARRAY' WHEN '{{' THEN 'OBJECT' ELSE json_type(x) END AS jt FROM x
    """)  # names: _ident/_type; values: sql_str  # nosec B608
    _refuse_lenient_json(con)
    if ds.envelope:
        envelope = sql_str(ds.envelope)
        con.execute(f"""
            UPDATE _bodies SET b = b -> {envelope}, x = json_extract(b -> {envelope}, {records_path}),
                               jt = json_type(json_extract(b -> {envelope}, {records_path}))
            WHERE jt IS NULL AND json_type(b, {envelope}) = 'OBJECT'
        """)  # names: _ident/_type; values: sql_str  # nosec B608
    quarantined = con.execute(f"""
        INSERT INTO {RAW_SCHEMA}.quarantine
        SELECT {src}, {dsn}, {dd}::DATE, _file, NULL,
               CASE WHEN b IS NULL THEN 'body is not valid JSON'
                    ELSE 'no records at ' || {records_path} || ' (json type ' || coalesce(jt, 'absent') || ')' END,
               left(body_text, 2000)
        FROM _bodies
        WHERE ok AND (b IS NULL OR coalesce(jt, 'NULL') NOT IN ('ARRAY', 'OBJECT'))
    """).fetchone()[0]  # names: _ident/_type; values: sql_str  # nosec B608
    # every field's raw text is lifted in one parse of each record (`_rv`); typed and checked from that text
    lift = f"json_extract_string(r, {_path_list(rec_paths)})"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _records AS
        WITH arr AS (
            SELECT _file, _ev, fetched_at,
                   CAST(CASE WHEN jt = 'ARRAY' THEN x ELSE json_array(x) END AS JSON[]) AS a
            FROM _bodies WHERE ok AND jt IN ('ARRAY', 'OBJECT')
        ), u AS (
            -- unnest in the select list, not as a lateral join: the lateral form re-reads the whole page
            -- for every element (quadratic; seconds for a 1,000-record page)
            SELECT _file, _ev, fetched_at, unnest(a) AS r, generate_subscripts(a, 1) AS i, NULL::VARCHAR[] AS _pv
            FROM arr
        )
        SELECT *, {"NULL::VARCHAR[]" if inner_path else lift} AS _rv FROM u
    """)  # names: _ident/_type; values: sql_str  # nosec B608
    if inner_path:
        inner = sql_str("$" + inner_path.lstrip("$"))
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _records AS
            WITH o AS (
                -- the parent's values are lifted here, so no record carries its parent (and all its siblings)
                SELECT _file, _ev, fetched_at, i, json_extract_string(r, {_path_list(parent_paths)}) AS _pv,
                       CAST(CASE WHEN json_type(r, {inner}) = 'ARRAY' THEN r -> {inner}
                                 ELSE json_array() END AS JSON[]) AS d
                FROM _records
            ), u AS (
                SELECT _file, _ev, fetched_at, unnest(d) AS r, i * 100000 + generate_subscripts(d, 1) AS i, _pv FROM o
            )
            SELECT *, {lift} AS _rv FROM u
        """)  # names: _ident/_type; values: sql_str  # nosec B608
    typed = ", ".join(f"TRY_CAST({raw} AS {_type(f.type)}) AS {_ident(f.name)}" for f, raw in zip(ds.fields, raws, strict=True))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _checked AS
        SELECT _file, i, r, fetched_at, {typed}, {_reason_sql(ds, raws)} AS _reason FROM _records""")  # names: _ident/_type; values: sql_str  # nosec B608
    quarantined += con.execute(f"""
        INSERT INTO {RAW_SCHEMA}.quarantine
        SELECT {src}, {dsn}, {dd}::DATE, _file, i, _reason, left(r::VARCHAR, 2000)
        FROM _checked WHERE _reason <> ''
    """).fetchone()[0]  # names: _ident/_type; values: sql_str  # nosec B608
    cols = ", ".join(_ident(f.name) for f in ds.fields)
    key = "concat_ws('|', " + ", ".join(f"CAST({_ident(k)} AS VARCHAR)" for k in ds.key) + ")"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _good AS
        SELECT {cols}, {key} AS _key, r AS _record, {dd}::DATE AS _date, _file, fetched_at AS _fetched_at
        FROM _checked WHERE _reason = ''
        -- overlapping or repeated pages: the latest answer for a key wins
        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY fetched_at DESC, _file DESC) = 1
    """)  # names: _ident/_type; values: sql_str  # nosec B608
    _replace_keys(con, name, ds)
    loaded = con.execute(f"INSERT INTO {name} ({cols}, _key, _record, _date, _file, _fetched_at) "
                         f"SELECT {cols}, _key, _record, _date, _file, _fetched_at FROM _good").fetchone()[0]  # names: _ident/_type; values: sql_str  # nosec B608
    responses, records = con.execute("SELECT (SELECT count(*) FROM _bodies), (SELECT count(*) FROM _records)").fetchone()
    stats = {
        "files": len(files),
        "responses": responses,
        "records": records,
        "loaded": loaded,
        "quarantined": quarantined,
    }
    _log_load(con, source, ds.name, day, stats)
    return stats


def _replace_keys(con: duckdb.DuckDBPyConnection, name: str, ds: Dataset) -> None:
    """Delete the stored rows the new rows replace: the same `_key`, whatever day they were loaded on."""
    bound = _time_bound(ds)
    where = ""
    if bound is not None:
        by_name = {f.name: f for f in ds.fields}
        text_keys = [k for k in ds.key if by_name[k].type.upper() not in _SEPARATOR_FREE + ("DOUBLE",)]
        has_separator = " OR ".join(f"contains(CAST({_ident(k)} AS VARCHAR), '|')" for k in text_keys) or "false"
        lo, hi, n, split = con.execute(f"SELECT min({_ident(bound)}), max({_ident(bound)}), count(*), "
                                       f"count(*) FILTER ({has_separator}) FROM _good").fetchone()  # names: _ident  # nosec B608
        if n == 0:
            return
        if not split:
            where = f"{_ident(bound)} BETWEEN {_literal(lo)} AND {_literal(hi)} AND "
    con.execute(f"DELETE FROM {name} WHERE {where}_key IN (SELECT _key FROM _good)")  # names: _ident/_type; values: sql_str/_literal  # nosec B608


def _literal(value: Any) -> str:
    """A bound of the time field as SQL text (a constant, so the scan can skip row groups by it)."""
    if isinstance(value, dt.date):
        return f"DATE {sql_str(value.isoformat())}"
    return str(int(value))


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
    rows: dict[tuple, list] = {}  # by the table's key: a later manifest of the same run replaces an earlier one
    for path in sorted(d.glob("*.json")) if d.exists() else []:
        m = json.loads(path.read_text())
        for dataset, entry in m.get("datasets", {}).items():
            window = (entry.get("notes") or {}).get("covered_window") or {}
            rows[(m["source"], dataset, m["date"], m["run_id"])] = [
                m["source"], dataset, m["date"], m["run_id"], entry.get("status"), entry.get("error"),
                entry.get("responses"), json.dumps(entry.get("statuses") or {}), m.get("started_at"),
                m.get("finished_at"), window.get("from"), window.get("to")]
    if rows:
        # one statement for the day's manifests: a statement each cost more than the rows themselves
        values = ", ".join(["(?, ?, ?::DATE, ?, ?, ?, ?::INTEGER, ?::JSON, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, "
                            "?::TIMESTAMPTZ, ?::TIMESTAMPTZ)"] * len(rows))
        con.execute(f"""INSERT OR REPLACE INTO {RAW_SCHEMA}.ingest_runs
                        (source, dataset, date, run_id, status, error, responses, statuses, started_at,
                         finished_at, covered_from, covered_to)
                        VALUES {values}""", [v for r in rows.values() for v in r])  # constant table, bound values  # nosec B608
    return len(rows)


def load_day(con: duckdb.DuckDBPyConnection, root: Path, day: dt.date,
             datasets_by_source: dict[str, Iterable[Dataset]]) -> dict[str, dict[str, Any]]:
    """Load every dataset of every given source for one day, each source in its own transaction.

    A commit per source, not per dataset: most datasets are a few rows, and a commit (a WAL flush) each
    cost more than loading them. A load killed mid-way leaves the committed sources; every load replaces
    what it loaded before, so the rerun of the day ends where an uninterrupted one ends."""
    from ingest.stream.load import load_stream_day  # hours present and gaps of the websocket datasets

    ensure_tables(con)
    out: dict[str, dict[str, Any]] = {}
    for source, datasets in datasets_by_source.items():
        datasets = list(datasets)
        con.execute("BEGIN TRANSACTION")
        try:
            load_run_manifests(con, root, source, day)
            for ds in datasets:
                stats = load_files(con, source, ds, day, landed_files(root, source, ds.name, day))
                out[f"{source}.{ds.name}"] = stats
                log.info("loaded %s.%s %s: %s", source, ds.name, day, stats)
            out[f"{source}._streams"] = load_stream_day(con, root, day, source, datasets)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return out
