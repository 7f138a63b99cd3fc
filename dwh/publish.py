"""Publish the marts as a read-only snapshot for BI and analysts.

The snapshot is a separate DuckDB file (plus one Parquet file per mart) built under a temporary
name and swapped in with a rename, so a reader holding the old file keeps reading it and never
meets the writer's lock.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb

SNAPSHOT_DB = "marts.duckdb"


def publish_snapshot(warehouse: Path, target_dir: Path, schemas: tuple[str, ...] = ("marts",)) -> Path:
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    staging = target_dir / f".build-{stamp}"
    staging.mkdir()
    db_tmp = staging / SNAPSHOT_DB
    tables: list[str] = []
    with duckdb.connect(str(warehouse), read_only=True) as src:
        src.execute(f"ATTACH '{db_tmp}' AS snap")
        for schema in schemas:
            src.execute(f"CREATE SCHEMA IF NOT EXISTS snap.{schema}")
            names = [r[0] for r in src.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
                "AND table_schema = ? AND table_type = 'BASE TABLE' ORDER BY 1", [schema]).fetchall()]
            parquet_dir = staging / "parquet" / schema
            parquet_dir.mkdir(parents=True, exist_ok=True)
            for name in names:
                src.execute(f'CREATE TABLE snap.{schema}."{name}" AS SELECT * FROM {schema}."{name}"')
                src.execute(f"COPY {schema}.\"{name}\" TO '{parquet_dir / (name + '.parquet')}' (FORMAT parquet)")
                tables.append(f"{schema}.{name}")
        src.execute("DETACH snap")
    (staging / "manifest.json").write_text(json.dumps(
        {"published_at": dt.datetime.now(dt.timezone.utc).isoformat(), "tables": tables}, indent=2))
    os.chmod(db_tmp, 0o444)  # readers open it read_only; the mode says so to every other tool too
    # Swap: the DB file by rename (atomic), the parquet folder by renaming the whole folder.
    os.replace(db_tmp, target_dir / SNAPSHOT_DB)
    old_parquet = target_dir / "parquet"
    if old_parquet.exists():
        shutil.rmtree(old_parquet.rename(target_dir / f".old-parquet-{stamp}"), ignore_errors=True)
    (staging / "parquet").rename(old_parquet)
    os.replace(staging / "manifest.json", target_dir / "manifest.json")
    shutil.rmtree(staging, ignore_errors=True)
    return target_dir / SNAPSHOT_DB
