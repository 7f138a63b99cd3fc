"""What the daily load records about the streams of a day, beside the messages themselves.

raw.stream_hours  one row per source, stream dataset, date and hour 00..23: closed files and messages in
                  them (0 and 0 = nobody was listening that hour), and files still open (`.partial`)
raw.stream_gaps   the disconnected periods the collector logged, from the gaps files of the day

Both are replaced per (source, date) on every load, so reruns are idempotent.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterable
from pathlib import Path

import duckdb

from ingest.landing import dataset_dir
from ingest.spec import Dataset
from ingest.stream.gaps import gaps_root
from ingest.stream.writer import FINAL, PARTIAL

RAW = "raw"


def ensure_stream_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW}")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {RAW}.stream_hours (
        source VARCHAR, dataset VARCHAR, date DATE, hour INTEGER, files INTEGER, messages BIGINT,
        open_files INTEGER, PRIMARY KEY (source, dataset, date, hour))""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {RAW}.stream_gaps (
        source VARCHAR, started_at TIMESTAMPTZ, ended_at TIMESTAMPTZ, reason VARCHAR, run_id VARCHAR,
        _date DATE, _file VARCHAR)""")


def _lines(path: Path) -> int:
    try:
        return gzip.decompress(path.read_bytes()).count(b"\n")
    except (OSError, EOFError):
        return 0  # not readable as a whole: the dataset load quarantines it; here it counts as a file only


def hour_rows(root: Path, source: str, dataset: str, day: dt.date) -> list[tuple]:
    base = dataset_dir(root, source, dataset, day)
    rows = []
    for hour in range(24):
        d = base / f"hour={hour:02d}"
        closed = sorted(d.glob(f"*{FINAL}")) if d.exists() else []
        closed = [p for p in closed if not p.name.startswith(".")]
        open_files = len(list(d.glob(f"*{PARTIAL}"))) if d.exists() else 0
        rows.append((source, dataset, day, hour, len(closed), sum(_lines(p) for p in closed), open_files))
    return rows


def gap_rows(root: Path, source: str, day: dt.date) -> list[tuple]:
    d = gaps_root(root, source) / f"date={day.isoformat()}"
    rows = []
    for path in sorted(d.glob("*.ndjson")) if d.exists() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                g = json.loads(line)
                rows.append((source, g["started_at"], g["ended_at"], g.get("reason"), g.get("run_id"), day,
                             str(path)))
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line of a killed writer; the gap is written again on the next resume
    return rows


def load_stream_day(con: duckdb.DuckDBPyConnection, root: Path, day: dt.date, source: str,
                    datasets: Iterable[Dataset]) -> dict[str, int]:
    """Record the day's stream hours (every dataset landed by the collector) and gaps of one source."""
    ensure_stream_tables(con)
    # a source the collector never served (its channel is REST only) has no hours to miss
    stream_datasets = [ds.name for ds in datasets if ds.fetch is None
                       and (root / "landing" / f"source={source}" / f"dataset={ds.name}").exists()]
    if not stream_datasets:
        return {"hours": 0, "gaps": 0}
    hours = [r for name in stream_datasets for r in hour_rows(root, source, name, day)]
    gaps = gap_rows(root, source, day)
    con.execute(f"DELETE FROM {RAW}.stream_hours WHERE source = ? AND date = ?", [source, day])  # constant table, bound values  # nosec B608
    con.executemany(f"INSERT INTO {RAW}.stream_hours VALUES (?, ?, ?, ?, ?, ?, ?)", hours)  # constant table, bound values  # nosec B608
    con.execute(f"DELETE FROM {RAW}.stream_gaps WHERE source = ? AND _date = ?", [source, day])  # constant table, bound values  # nosec B608
    if gaps:
        con.executemany(f"INSERT INTO {RAW}.stream_gaps VALUES (?, ?, ?, ?, ?, ?, ?)", gaps)  # constant table, bound values  # nosec B608
    return {"hours": sum(1 for r in hours if r[4] > 0), "gaps": len(gaps)}
