"""Landing bodies through the real loader path and running the dbt liquidation models on a scratch warehouse."""
from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb

from dwh.dbt import with_project_vars
from ingest.http import Exchange
from ingest.landing import Lander
from ingest.load import ensure_tables, landed_files, load_files
from ingest.venues import datasets_for
from tests.conftest import PROJECT

DBT_DIR = PROJECT / "dbt_project"


def dataset(source: str, name: str):
    return next((d for d in datasets_for(source) if d.name == name), None)


def land(root: Path, source: str, name: str, day: dt.date, body: Any, params: dict | None = None,
         run_id: str = "test", fetched_at: float = 1795737600.0) -> None:
    """Land one response as the HTTP client would have (status 200, body as the venue sent it)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    lander = Lander(root, source, name, day, run_id)
    lander.land(Exchange("GET", f"http://venue/{source}/{name}", params or {}, None, 200, raw, fetched_at, 0.01, 1))


def load(con: duckdb.DuckDBPyConnection, root: Path, source: str, name: str, day: dt.date) -> dict:
    ensure_tables(con)
    return load_files(con, source, dataset(source, name), day, landed_files(root, source, name, day))


def dbt(data_dir: Path, *args: str, target: Path | None = None) -> subprocess.CompletedProcess:
    """dbt against `data_dir`/warehouse.duckdb with its own target and log dirs (the shared target/ is
    left to the pipeline)."""
    target = target or data_dir / "dbt_target"
    env = dict(os.environ, DWH_DATA_DIR=str(data_dir), DBT_PROFILES_DIR=str(DBT_DIR))
    exe = Path(sys.executable).parent / "dbt"
    cmd = [str(exe), *with_project_vars(list(args)), "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
           "--target-path", str(target), "--log-path", str(data_dir / "dbt_logs")]
    proc = subprocess.run(cmd, cwd=DBT_DIR, env=env, text=True, capture_output=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc


def ws_dataset(venue: str):
    """The websocket collector's `liquidations_ws` spec of a venue, wherever it is registered."""
    spec = dataset(venue, "liquidations_ws")
    if spec is None:
        try:
            ws = importlib.import_module(f"ingest.venues.{venue}.ws")
        except ImportError:
            return None
        spec = getattr(ws, "LIQUIDATIONS_WS", None)
    return spec


def ws_land(con: duckdb.DuckDBPyConnection, root: Path, venue: str, spec, messages: list[dict],
            day: dt.date, received_at: float = 1795737600.0) -> dict:
    """Write messages as the collector does (its hourly writer), close the files and load them with `spec`."""
    from ingest.stream.writer import HourlyWriter

    writer = HourlyWriter(root, venue, "test-conn", f"wss://{venue}/test")
    for i, m in enumerate(messages):
        writer.write(spec.name, received_at + i, json.dumps(m))
    writer.close()
    files = sorted((root / "landing" / f"source={venue}" / f"dataset={spec.name}").rglob("*.ndjson.gz"))
    ensure_tables(con)
    return load_files(con, venue, spec, day, files)
