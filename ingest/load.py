"""Landed files -> DuckDB raw tables, idempotent on natural keys, with a quarantine for the rest.

Parsing runs inside DuckDB (`read_ndjson_objects` and JSON-path extraction): it is an order of
magnitude faster than json.loads and keeps key case (Binance sends both `s` and `S`).
Each raw table `raw.<source>__<dataset>` holds the typed fields of its Dataset spec plus
`_key` (natural key), `_record` (the record as landed, zstd where the file allows; see _zstd_available),
`_date`, `_file` and `_fetched_at`.
A record that cannot be read goes to `raw.quarantine` with the reason and its file and index.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
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
    # which loads came after which (see _log_loads); older warehouses gain it in place, NULL for their rows
    con.execute(f"ALTER TABLE {RAW_SCHEMA}.load_log ADD COLUMN IF NOT EXISTS load_seq BIGINT")


def ensure_dataset_table(con: duckdb.DuckDBPyConnection, source: str, ds: Dataset,
                         columns: dict[str, set[str]] | None = None) -> str:
    """Create the dataset's raw table, or widen it with fields added to the spec since; returns its name.
    `columns` (table -> column names, `_raw_columns`) saves the catalog query when a load ensures many."""
    name = table_name(source, ds.name)
    existing = (columns if columns is not None else _raw_columns(con)).get(f"{source}__{ds.name}")
    if existing is None:
        cols = ", ".join(f"{_ident(f.name)} {_type(f.type)}" for f in ds.fields)
        record = "_record JSON USING COMPRESSION zstd" if _zstd_available(con) else "_record JSON"
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols}, _key VARCHAR, {record}, _date DATE, "
                    f"_file VARCHAR, _fetched_at TIMESTAMPTZ)")
        return name
    for f in ds.fields:  # a field added to the spec later: widen the table instead of failing
        if f.name not in existing:
            con.execute(f"ALTER TABLE {name} ADD COLUMN {_ident(f.name)} {_type(f.type)}")
    return name


# `_record`, the record as landed, is most of a raw table's bytes (2/3 of the warehouse at 60 days of the
# bench) and is read only to rebuild or inspect. Stored with zstd rather than the FSST DuckDB picks for text,
# the warehouse was 42 % smaller (372 vs 646 MB) and a day's load and checkpoint 19 % shorter (1.16 vs
# 1.43 s a day), measured on the bench's first 60 days; reading it back stays a plain column read.
# DuckDB writes zstd text only into files of storage version v1.2.0 or later (it refuses the column in an
# older file, and inside the load's transaction a refused statement aborts the source): an older warehouse
# keeps DuckDB's default for tables it creates.
_ZSTD_SINCE = (1, 2, 0)


def _zstd_available(con: duckdb.DuckDBPyConnection) -> bool:
    tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    found = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)\+?", ((tags or [{}])[0] or {}).get("storage_version", ""))
    return found is not None and tuple(int(g) for g in found.groups()) >= _ZSTD_SINCE


def _raw_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    return {t: set(cols) for t, cols in con.execute(
        "SELECT table_name, list(column_name) FROM information_schema.columns WHERE table_schema = ? "
        "GROUP BY table_name", [RAW_SCHEMA]).fetchall()}


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
    are parsed again, strictly, in Python; a file holding an invalid one is not read."""
    suspects = con.execute("SELECT DISTINCT _file, body_text FROM _landed WHERE suspect").fetchall()
    invalid = sorted({f for f, text in suspects if not _strict_json(text)})
    if invalid:
        con.execute("UPDATE _landed SET valid = false, x = NULL, jt = NULL WHERE ok AND list_contains(?, _file)",
                    [invalid])


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
    """Why a record cannot load ('' when it can), over its raw texts and its typed fields (by name).

    Most records are good: one conjunction of the checks tells them, and only the rest pay for the
    message (a CASE evaluates its ELSE only for the rows that reach it)."""
    parts, good = [], []
    for f, raw in zip(ds.fields, raws, strict=True):
        cast = _ident(f.name)
        if f.required:
            # the path is free text (a quote is legal JSON path syntax): it enters the SQL as a literal
            parts.append(f"CASE WHEN {raw} IS NULL THEN {sql_str(f'missing field {f.name} ({f.path})')} END")
            good.append(f"{cast} IS NOT NULL")
        else:
            good.append(f"({raw} IS NULL OR {cast} IS NOT NULL)")
        parts.append(f"CASE WHEN {raw} IS NOT NULL AND {cast} IS NULL "
                     f"THEN 'field {f.name} not a {f.type}: ' || left({raw}, 40) END")
        if f.min is not None:
            parts.append(f"CASE WHEN {cast} < {float(f.min)!r} THEN 'field {f.name} below {f.min}: ' || {cast} END")
            good.append(f"{cast} >= {float(f.min)!r}")
        if f.max is not None:
            parts.append(f"CASE WHEN {cast} > {float(f.max)!r} THEN 'field {f.name} above {f.max}: ' || {cast} END")
            good.append(f"{cast} <= {float(f.max)!r}")
    return f"CASE WHEN {' AND '.join(good)} THEN '' ELSE concat_ws('; ', {', '.join(parts)}) END"


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
    row already stored that held a `|` cannot share a `_key` with one that holds none (one more `|`).

    A key without such a field is bounded by the dataset's `fixed_time`, a time the venue documents as the
    key's own (a trade's instant): the same key means the same record, so the same value of it."""
    by_name = {f.name: f for f in ds.fields}
    if all(by_name[k].required for k in ds.key):
        for k in ds.key:
            if by_name[k].type.upper() in _SEPARATOR_FREE:
                return k
    return ds.fixed_time


def load_files(con: duckdb.DuckDBPyConnection, source: str, ds: Dataset, day: dt.date,
               files: list[Path]) -> dict[str, Any]:
    """Load the given landed files of one dataset; returns counts. Safe to repeat."""
    return load_datasets(con, source, day, [(ds, files)])[ds.name]


def load_datasets(con: duckdb.DuckDBPyConnection, source: str, day: dt.date,
                  work: list[tuple[Dataset, list[Path]]]) -> dict[str, dict[str, Any]]:
    """Load the given landed files of some datasets of one source and day; counts by dataset. Safe to repeat."""
    landed = [(source, ds, files) for ds, files in work if files]
    env_paths = _read_landed(con, landed) if landed else []
    return _load_source(con, source, day, work, env_paths, _raw_columns(con))


# Set-based: every landed file of a load is read, and its envelope, body and the place of its records
# parsed, in one statement (`_read_landed`); then each dataset's records are found, typed and checked in
# one statement over those parsed bodies in memory, its stored keys replaced and its rows inserted.
# Reading the files one dataset at a time cost more than the records themselves on a day of many small
# datasets (a file open and a gzip stream each, and a dozen statements per dataset).
_HEAD = ["$.status", "$.body", "$.body_encoding", "$.fetched_at"]


def _env_paths(work: Iterable[tuple[str, Dataset, list[Path]]]) -> list[str]:
    """The `env:` paths of every dataset of a read, in one list lifted from each landed line."""
    return sorted({p for _, ds, _ in work for p in _sources_of(ds)[1]})


def _read_landed(con: duckdb.DuckDBPyConnection, work: list[tuple[str, Dataset, list[Path]]]) -> list[str]:
    """`_landed`: one row per landed response of the given (source, dataset, files; at least one file): its
    envelope lifted, `valid` (a 2xx answer whose body is JSON), and the records' place in the body (`x`)
    with its JSON type. Returns the `env:` paths lifted into `_ev`, in their order."""
    pairs = [(str(p), source, ds.name) for source, ds, files in work for p in files]
    con.execute("CREATE OR REPLACE TEMP TABLE _files AS SELECT unnest(?::VARCHAR[]) AS _file, "
                "unnest(?::VARCHAR[]) AS _source, unnest(?::VARCHAR[]) AS _dataset",
                [[f for f, _, _ in pairs], [s for _, s, _ in pairs], [d for _, _, d in pairs]])
    # `$.data[*].details` means: the records are each `details` array inside each element of `data` (OKX
    # nests liquidations so): `x` is the outer place; a body with nothing there but an object at the
    # dataset's `envelope` is read inside that object.
    specs = [(source, ds.name, ds.records.partition("[*]")[0], ds.envelope) for source, ds, _ in work]
    con.execute("CREATE OR REPLACE TEMP TABLE _specs AS SELECT unnest(?::VARCHAR[]) AS _source, "
                "unnest(?::VARCHAR[]) AS _dataset, unnest(?::VARCHAR[]) AS rp, unnest(?::VARCHAR[]) AS envelope",
                [list(col) for col in zip(*specs, strict=True)])
    env_paths = _env_paths(work)
    file_list = "[" + ", ".join(sql_str(f) for f in sorted({f for f, _, _ in pairs})) + "]"
    lines = f"read_ndjson_objects({file_list}, filename = true, ignore_errors = true)"
    con.execute(rf"""
        CREATE OR REPLACE TEMP TABLE _landed AS
        WITH v AS (
            -- the envelope's members lifted in one parse of each landed line: status, body, and the values
            -- `env:` fields read (small), so no copy of the envelope rides along with every record
            SELECT filename AS _file, json_extract_string(json, {_path_list(_HEAD + env_paths)}) AS v FROM {lines}
        ), e AS (
            -- every response counts; only a 2xx one has a body to read. DuckDB's JSON reader takes tokens
            -- RFC 8259 refuses: a body holding one is `suspect` (see _refuse_lenient_json)
            SELECT _source, _dataset, _file, TRY_CAST(v[1] AS INTEGER) AS status, v[2] AS body_text,
                   TRY_CAST(v[4] AS TIMESTAMPTZ) AS fetched_at, v[5:] AS _ev, rp, envelope,
                   status BETWEEN 200 AND 299 AS ok, ok AND v[3] = 'utf-8' AS readable,
                   readable AND (regexp_matches(body_text, ',\s*[\]}}]') OR contains(body_text, 'NaN')
                                 OR contains(body_text, 'Infinity')) AS suspect
            FROM v JOIN _files USING (_file) JOIN _specs USING (_source, _dataset)
        ), x AS (
            -- the records' place read straight from the body text: one parse of each body, whose failure
            -- means an invalid body; only a body with nothing there is parsed again, to tell which
            SELECT *, CASE WHEN readable THEN TRY(json_extract(body_text, rp)) END AS x0 FROM e
        ), y AS (
            SELECT *, readable AND (x0 IS NOT NULL OR json_valid(body_text)) AS valid FROM x
        ), z AS (
            SELECT *, CASE WHEN x0 IS NULL AND valid AND envelope IS NOT NULL AND json_type(body_text, envelope) = 'OBJECT'
                           THEN json_extract(json_extract(body_text, envelope), rp) ELSE x0 END AS x
            FROM y
        ), t AS (
            -- json_extract writes compact JSON: its first character tells an array or an object without a parse
            SELECT *, CASE left(x, 1) WHEN '[' THEN 'ARRAY' WHEN '{{' THEN 'OBJECT' ELSE json_type(x) END AS jt FROM z
        )
        -- the body text is kept only where a quarantine row may quote it: no records, or a suspect in its file
        SELECT _source, _dataset, _file, status, fetched_at, _ev, ok, valid, suspect, rp, x, jt,
               CASE WHEN NOT valid OR coalesce(jt, 'NULL') NOT IN ('ARRAY', 'OBJECT')
                         OR bool_or(suspect) OVER (PARTITION BY _file) THEN body_text END AS body_text
        FROM t
        ORDER BY _source, _dataset
    """)  # names: _ident/_type; values: sql_str  # nosec B608
    _refuse_lenient_json(con)
    return env_paths


def _load_source(con: duckdb.DuckDBPyConnection, source: str, day: dt.date, work: list[tuple[Dataset, list[Path]]],
                 env_paths: list[str], columns: dict[str, set[str]]) -> dict[str, dict[str, Any]]:
    """Load one source's datasets of the day from `_landed` (its `env:` values at `env_paths`); counts by dataset."""
    names = {ds.name: ensure_dataset_table(con, source, ds, columns) for ds, _ in work}
    src, dd = sql_str(source), sql_str(day.isoformat())
    con.execute(f"DELETE FROM {RAW_SCHEMA}.quarantine WHERE source = {src} AND date = {dd} "
                f"AND list_contains(?, dataset)", [list(names)])  # values: sql_str, bound  # nosec B608
    no_records = f"ok AND (NOT valid OR coalesce(jt, 'NULL') NOT IN ('ARRAY', 'OBJECT')) AND _source = {src}"
    responses = {} if not any(files for _, files in work) else {d: (n, bad) for d, n, bad in con.execute(
        f"SELECT _dataset, count(*), count(*) FILTER ({no_records}) FROM _landed WHERE _source = {src} "
        f"GROUP BY _dataset").fetchall()}  # values: sql_str  # nosec B608
    if any(bad for _, bad in responses.values()):
        # a response without records: one row, with the reason
        con.execute(f"""
            INSERT INTO {RAW_SCHEMA}.quarantine
            SELECT _source, _dataset, {dd}::DATE, _file, NULL,
                   CASE WHEN NOT valid THEN 'body is not valid JSON'
                        ELSE 'no records at ' || rp || ' (json type ' || coalesce(jt, 'absent') || ')' END,
                   left(body_text, 2000)
            FROM _landed WHERE {no_records}
        """)  # values: sql_str  # nosec B608
    out = {}
    for ds, files in work:
        n, bad = responses.get(ds.name, (0, 0))
        stats = {"files": len(files), "responses": n, "records": 0, "loaded": 0, "quarantined": bad}
        if n:
            records, loaded, quarantined = _load_dataset(con, source, ds, day, names[ds.name], env_paths)
            stats.update(records=records, loaded=loaded, quarantined=bad + quarantined)
        out[ds.name] = stats
    _log_loads(con, source, day, out)
    return out


def _load_dataset(con: duckdb.DuckDBPyConnection, source: str, ds: Dataset, day: dt.date, name: str,
                  env_paths: list[str]) -> tuple[int, int, int]:
    """One dataset's records from `_landed`: checked, the bad ones quarantined, the good ones replacing
    their keys; returns (records, loaded, quarantined)."""
    raws, own_env, parent_paths, rec_paths = _sources_of(ds)
    src, dsn, dd = sql_str(source), sql_str(ds.name), sql_str(day.isoformat())
    # this dataset's `env:` values, in its own order, from the read's shared list
    ev = ("list_value(" + ", ".join(f"_ev[{env_paths.index(p) + 1}]" for p in own_env) + ")") if own_env \
        else "NULL::VARCHAR[]"
    inner_path = ds.records.partition("[*]")[2]
    # every field's raw text is lifted in one parse of each record (`_rv`); typed and checked from that text
    lift = f"json_extract_string(r, {_path_list(rec_paths)})"
    if inner_path:
        inner = sql_str("$" + inner_path.lstrip("$"))
        records = f"""o AS (
                -- the parent's values are lifted here, so no record carries its parent (and all its siblings)
                SELECT _file, _ev, fetched_at, i, json_extract_string(r, {_path_list(parent_paths)}) AS _pv,
                       json_extract(r, {inner}) AS dj
                FROM u
            ), o2 AS (
                -- compact JSON again: an array starts with '['
                SELECT * EXCLUDE (dj), CAST(CASE WHEN left(dj, 1) = '[' THEN dj ELSE json_array() END AS JSON[]) AS d FROM o
            ), rec AS (
                SELECT _file, _ev, fetched_at, unnest(d) AS r, i * 100000 + generate_subscripts(d, 1) AS i, _pv FROM o2
            )"""  # a part of the statement below; values: sql_str  # nosec B608
    else:
        records = "rec AS (SELECT * FROM u)"
    typed = ", ".join(f"TRY_CAST({raw} AS {_type(f.type)}) AS {_ident(f.name)}" for f, raw in zip(ds.fields, raws, strict=True))
    key = "concat_ws('|', " + ", ".join(f"CAST({_ident(k)} AS VARCHAR)" for k in ds.key) + ")"
    cols = ", ".join(_ident(f.name) for f in ds.fields)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _checked AS
        WITH arr AS (
            SELECT _file, {ev} AS _ev, fetched_at,
                   CAST(CASE WHEN jt = 'ARRAY' THEN x ELSE json_array(x) END AS JSON[]) AS a
            FROM _landed WHERE _source = {src} AND _dataset = {dsn} AND ok AND jt IN ('ARRAY', 'OBJECT')
        ), u AS (
            -- unnest in the select list, not as a lateral join: the lateral form re-reads the whole page
            -- for every element (quadratic; seconds for a 1,000-record page)
            SELECT _file, _ev, fetched_at, unnest(a) AS r, generate_subscripts(a, 1) AS i, NULL::VARCHAR[] AS _pv
            FROM arr
        ), {records}, lifted AS (
            SELECT *, {lift} AS _rv FROM rec
        ), t AS (
            SELECT _file, i, r, fetched_at, _rv, _ev, _pv, {typed} FROM lifted
        )
        SELECT _file, i, r, fetched_at, {cols}, {_reason_sql(ds, raws)} AS _reason, {key} AS _key FROM t
    """)  # names: _ident/_type; values: sql_str  # nosec B608
    records, bad, good, where = _counts(con, ds)
    if bad:
        # a record that cannot be read: one row, with the reason
        con.execute(f"""
            INSERT INTO {RAW_SCHEMA}.quarantine
            SELECT {src}, {dsn}, {dd}::DATE, _file, i, _reason, left(r::VARCHAR, 2000) FROM _checked WHERE _reason <> ''
        """)  # names: _ident/_type; values: sql_str  # nosec B608
    if not good:
        return records, 0, bad
    # the stored rows the new rows replace: the same `_key`, whatever day they were loaded on
    con.execute(f"DELETE FROM {name} WHERE {where}_key IN (SELECT _key FROM _checked WHERE _reason = '')")  # names: _ident/_type; values: sql_str/_literal  # nosec B608
    loaded = con.execute(f"""
        INSERT INTO {name} ({cols}, _key, _record, _date, _file, _fetched_at)
        SELECT {cols}, _key, r, {dd}::DATE, _file, fetched_at FROM _checked WHERE _reason = ''
        -- overlapping or repeated pages: the latest answer for a key wins
        QUALIFY row_number() OVER (PARTITION BY _key ORDER BY fetched_at DESC, _file DESC) = 1
    """).fetchone()[0]  # names: _ident/_type; values: sql_str  # nosec B608
    return records, loaded, bad


def _counts(con: duckdb.DuckDBPyConnection, ds: Dataset) -> tuple[int, int, int, str]:
    """Records, bad records, good records, and the bound of the key replacement (see _time_bound): one query."""
    bound = _time_bound(ds)
    if bound is None:
        bounds = "NULL, NULL, 0"
    else:
        by_name = {f.name: f for f in ds.fields}
        # a key field bounds by the `_key` text itself, which a `|` inside a value can fool; a fixed time by
        # the venue's word, whatever the key's text
        text_keys = [] if bound not in ds.key else \
            [k for k in ds.key if by_name[k].type.upper() not in _SEPARATOR_FREE + ("DOUBLE",)]
        has_separator = " OR ".join(f"contains(CAST({_ident(k)} AS VARCHAR), '|')" for k in text_keys) or "false"
        good = "FILTER (_reason = '')"
        bounds = (f"min({_ident(bound)}) {good}, max({_ident(bound)}) {good}, "
                  f"count(*) FILTER (_reason = '' AND ({has_separator}))")
    records, bad, lo, hi, split = con.execute(
        f"SELECT count(*), count(*) FILTER (_reason <> ''), {bounds} FROM _checked").fetchone()  # names: _ident  # nosec B608
    where = "" if bound is None or split or lo is None else \
        f"{_ident(bound)} BETWEEN {_literal(lo)} AND {_literal(hi)} AND "
    return records, bad, records - bad, where


def _literal(value: Any) -> str:
    """A bound of the time field as SQL text (a constant, so the scan can skip row groups by it)."""
    if isinstance(value, dt.date):
        return f"DATE {sql_str(value.isoformat())}"
    return str(int(value))


def _log_loads(con: duckdb.DuckDBPyConnection, source: str, day: dt.date, stats: dict[str, dict[str, Any]]) -> None:
    if not stats:
        return
    # `load_seq` orders the loads: above every number the log held when this load began, so a load after a
    # dbt build is numbered above what that build saw (dbt_project/macros/incremental.sql rebuilds the days
    # loaded since). Sources loading side by side may share a number; nothing needs them told apart.
    seq = con.execute(f"SELECT coalesce(max(load_seq), 0) + 1 FROM {RAW_SCHEMA}.load_log").fetchone()[0]  # constant table  # nosec B608
    # one statement for the call's datasets: a statement each cost more than the rows
    values = ", ".join(["(?, ?, ?::DATE, ?, ?, ?, ?, ?, ?)"] * len(stats))
    con.execute(f"INSERT OR REPLACE INTO {RAW_SCHEMA}.load_log (source, dataset, date, files, responses, records, "
                f"loaded, quarantined, load_seq) VALUES {values}",
                [v for dataset, s in stats.items() for v in (source, dataset, day, s["files"], s["responses"],
                                                              s["records"], s["loaded"], s["quarantined"], seq)])  # constant table, bound values  # nosec B608


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

    Sources load side by side, as many at once as DuckDB has threads (DWH_THREADS), each on its own
    cursor: a source's load is mostly statements over small tables, each too short to use more than
    one core, and sources share no rows (their raw tables are their own; the shared log tables are
    keyed by source). A commit per source, not per dataset: most datasets are a few rows, and a commit
    (a WAL flush) each cost more than loading them. A load killed mid-way leaves the committed sources;
    every load replaces what it loaded before, so the rerun of the day ends where an uninterrupted one
    ends. A source whose load fails is rolled back; the others still load, then the first error is raised."""
    from ingest.stream.load import ensure_stream_tables, load_stream_day  # stream hours and gaps
    from ingest.warehouse import threads

    ensure_tables(con)
    ensure_stream_tables(con)  # before the workers: two transactions creating one table conflict
    work = {source: [(ds, landed_files(root, source, ds.name, day)) for ds in datasets]
            for source, datasets in datasets_by_source.items()}

    def load_source(source: str) -> dict[str, dict[str, Any]]:
        items = work[source]
        cur = con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                load_run_manifests(cur, root, source, day)
                stats = {f"{source}.{name}": s for name, s in load_datasets(cur, source, day, items).items()}
                stats[f"{source}._streams"] = load_stream_day(cur, root, day, source, [ds for ds, _ in items])
                for key, s in stats.items():  # inside the transaction: tests/faults/test_crash.py kills on it
                    log.info("loaded %s %s: %s", key, day, s)
                cur.execute("COMMIT")
            except Exception:
                cur.execute("ROLLBACK")
                raise
        finally:
            cur.close()
        return stats

    # the largest first, so the last to start is a small one
    size = {source: sum(p.stat().st_size for _, files in items for p in files) for source, items in work.items()}
    with ThreadPoolExecutor(max_workers=max(1, min(threads(), len(work)))) as pool:
        futures = {source: pool.submit(load_source, source) for source in sorted(work, key=lambda s: -size[s])}
    failed = [futures[s].exception() for s in work if futures[s].exception() is not None]
    if failed:
        raise failed[0]
    return {key: s for source in work for key, s in futures[source].result().items()}
