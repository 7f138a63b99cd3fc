"""Opening DuckDB with bounded memory: every connection the project opens goes through `connect`.

DuckDB's default memory limit is 80 % of the machine's RAM, so a full-refresh build takes whatever the
box has and, on a small worker beside other jobs, is killed instead of spilling. One setting bounds it:
DWH_MEMORY_LIMIT (default 1.25GB: a 4 GiB worker, with a step's whole process tree under 2 GiB, since
dbt's Python and DuckDB's allocations outside its buffer pool come on top: at 1.5GB the year's catch-up
build reached 2,054 MB, `make bench` of 2026-12-06) and
DWH_THREADS (default 2, the same worker's cores: each DuckDB thread holds its own buffers, so threads
and the limit are sized together). Above the limit DuckDB spills to its default temp directory, `<database file>.tmp` beside the file (for the
warehouse: $DWH_DATA_DIR/warehouse.duckdb.tmp). It is left at that default on purpose: DuckDB refuses
to SET temp_directory again once the instance has spilled, even to the same value, and dbt-duckdb
re-applies its profile settings on every cursor, so a set spill directory fails the build that spills.
dbt_project/profiles.yml reads the same variables.

The settings are applied with SET after a plain connect, not as connect config: DuckDB refuses a second
connection to one file with a different config in the same process, and callers (tests, the CLI) open
the warehouse plainly beside the pipeline. memory_limit and threads are settings of the
database instance, so they hold for every connection to that file in the process.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

DEFAULT_MEMORY_LIMIT = "1.25GB"
DEFAULT_THREADS = 2
_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


def memory_limit() -> str:
    value = os.environ.get("DWH_MEMORY_LIMIT", "").strip() or DEFAULT_MEMORY_LIMIT
    if not _SIZE.match(value):
        raise ValueError(f"DWH_MEMORY_LIMIT={value!r}: expected a size such as 2GB, 1536MB or 4GiB")
    return value


def threads() -> int:
    value = os.environ.get("DWH_THREADS", "").strip()
    if not value:
        return DEFAULT_THREADS
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"DWH_THREADS={value!r}: expected a whole number of threads, at least 1")
    return int(value)


# DuckDB checkpoints (writes the WAL into the database file) once the WAL passes 16 MB by default: a
# day's load is ~50 MB of WAL at a year's scale, so every day's load paid a checkpoint that rewrote the
# tables' last, partly filled row groups again, and a month loaded that way made a file twice the size
# (196 vs 102 MB for 8 days). At 256 MB a multi-day load checkpoints every few days and a daily run
# once, when it closes; what is not yet checkpointed is in the WAL (replayed on the next open) and in
# the buffer pool, well inside the memory limit.
CHECKPOINT_THRESHOLD = "256MB"


def configure(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Bound an open connection's database instance; returns the connection."""
    con.execute(f"SET memory_limit = '{memory_limit()}'")
    con.execute(f"SET threads = {threads()}")
    con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    return con


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """duckdb.connect with the project's memory limit and threads."""
    return configure(duckdb.connect(str(path), read_only=read_only))
