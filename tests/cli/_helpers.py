"""Small warehouses built in a temp data dir, and the `dwh` command run as a user runs it."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.conftest import PROJECT

DAYS = [dt.date(2026, 11, 20) + dt.timedelta(days=i) for i in range(3)]
VENUES = ["binance", "bybit", "okx"]


def funding_rows(version: int = 0) -> list[tuple]:
    """Deterministic rows whose values differ per `version`, so a reader can tell publishes apart."""
    rows = []
    for d_i, day in enumerate(DAYS):
        for v_i, venue in enumerate(VENUES):
            for asset in ("BTC", "ETH"):
                rate_8h = (1 + d_i + 10 * v_i + (0 if asset == "BTC" else 5) + version) * 1e-5
                rows.append((day, asset, venue, rate_8h, rate_8h * 3 * 365, 3, f"{asset}USDT"))
    return rows


def make_warehouse(data_dir: Path, version: int = 0) -> Path:
    path = data_dir / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute("""CREATE OR REPLACE TABLE marts.funding_daily (date DATE, asset VARCHAR, exchange VARCHAR,
                       rate_8h DOUBLE, annualized_rate DOUBLE, observations BIGINT, symbols VARCHAR)""")
        con.executemany("INSERT INTO marts.funding_daily VALUES (?, ?, ?, ?, ?, ?, ?)", funding_rows(version))
        con.execute("CREATE OR REPLACE TABLE marts.publish_version AS SELECT ?::INTEGER AS version", [version])
        con.execute("CREATE TABLE IF NOT EXISTS raw.writes (i BIGINT, written_at TIMESTAMPTZ)")
    return path


def dwh(*args: str, data_dir: Path, env: dict[str, str] | None = None, timeout: float = 120,
        **kwargs) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, DWH_DATA_DIR=str(data_dir), **(env or {}))
    return subprocess.run([sys.executable, "-m", "dwh.cli", *args], cwd=PROJECT, env=full_env, text=True,
                          capture_output=True, timeout=timeout, **kwargs)
