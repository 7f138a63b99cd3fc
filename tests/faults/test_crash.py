"""SIGKILL the load and the dbt build mid-way, rerun, and get exactly the marts of an uninterrupted run.

The loader commits one source at a time and every load replaces what it loaded before (keys, the
day's quarantine and load log rows), so a load killed anywhere leaves committed sources and a DuckDB
WAL; the next run replays the WAL, redoes the day and ends where an uninterrupted run ends. dbt
rebuilds every table from raw on the rerun; a killed build leaves at most its `__dbt_tmp` relations.
"""
from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.faults._pipeline import (
    DAYS,
    dbt_build,
    dbt_command,
    kill_when,
    load,
    load_command,
    mart_hashes,
    scenario,
    warehouse,
)

pytestmark = pytest.mark.slow
LOAD_MARKER = "ingest.load loaded "  # logged after each dataset, inside its source's transaction
DBT_MARKER = "OK created sql table model marts."


@pytest.fixture(scope="module")
def reference(history, tmp_path_factory):
    """The uninterrupted run: every day loaded, then the marts built; the raw-only warehouse kept."""
    base = tmp_path_factory.mktemp("crash")
    data = scenario(base, "reference", history["landing"])
    load(data, history["sources"], DAYS)
    shutil.copy(warehouse(data), base / "raw-only.duckdb")
    dbt_build(data, history["sources"], DAYS[-1])
    hashes = mart_hashes(data)
    assert hashes and all(h != "empty" for h in hashes.values()), f"marts to compare: {hashes}"
    return {"base": base, "hashes": hashes, "raw_only": base / "raw-only.duckdb"}


def _opens(data) -> int:
    """The killed process's warehouse opens (the WAL replays) and says how many raw rows it holds."""
    with duckdb.connect(str(warehouse(data))) as con:
        tables = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'").fetchall()
        return sum(con.execute(f'SELECT count(*) FROM raw."{t}"').fetchone()[0] for (t,) in tables)


@pytest.mark.parametrize("nth, delay", [(1, 0.0), (6, 0.05), (15, 0.2)], ids=["first", "early", "late"])
def test_load_killed_mid_way(history, reference, nth, delay):
    data = scenario(reference["base"], f"load-killed-{nth}", history["landing"])
    load(data, history["sources"], DAYS[:-1])
    outcome = kill_when(load_command(DAYS[-1:]), data, history["sources"], LOAD_MARKER, nth, extra_delay_s=delay)
    assert outcome["killed"], f"the load finished before the kill: {outcome}"
    _opens(data)
    load(data, history["sources"], DAYS[-1:])
    dbt_build(data, history["sources"], DAYS[-1])
    assert mart_hashes(data) == reference["hashes"]


@pytest.mark.parametrize("nth", [1, 4], ids=["first-mart", "later-mart"])
def test_dbt_build_killed_mid_way(history, reference, nth):
    data = scenario(reference["base"], f"dbt-killed-{nth}", history["landing"])
    shutil.copy(reference["raw_only"], warehouse(data))
    outcome = kill_when(dbt_command(DAYS[-1]), data, history["sources"], DBT_MARKER, nth)
    assert outcome["killed"], f"dbt finished before the kill: {outcome}"
    dbt_build(data, history["sources"], DAYS[-1])
    assert mart_hashes(data) == reference["hashes"]
