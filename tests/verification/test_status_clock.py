"""`dwh status` judges each source's age on the latest run's clock: a warehouse backfilled long ago, or read
a year later, says the same as on the morning after its last day."""
from __future__ import annotations

import datetime as dt

import duckdb

from dwh.status import collect

LATEST = dt.date(2026, 11, 26)


def test_source_ages_are_measured_against_the_latest_runs_reference(tmp_path, data_dir):
    warehouse = tmp_path / "warehouse.duckdb"
    fetched_long_ago = dt.datetime(2025, 1, 2, 3, 4, tzinfo=dt.timezone.utc)  # a backfill, fetched whenever
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA raw")
        for table, day in (("bybit__funding_rates", LATEST), ("okx__funding_rates", LATEST - dt.timedelta(days=2))):
            con.execute(f"CREATE TABLE raw.{table} (x INTEGER, _date DATE, _fetched_at TIMESTAMPTZ)")
            con.execute(f"INSERT INTO raw.{table} VALUES (1, ?, ?)", [day, fetched_long_ago])
    status = collect(warehouse, tmp_path / "snapshot.duckdb")
    section = next(s for s in status.sections if s.title.startswith("Freshness per source"))
    rows = {r[0]: r for r in section.rows}
    # bybit landed the latest day: 0.5 h from its close (D+1 00:00) to the reference (D+1 00:30)
    assert rows["bybit"][3:] == (0.5, 1, "fresh")
    # okx's newest data is two runs older than that: beyond the 36 h of dbt's warn_after
    assert rows["okx"][3:] == (48.5, 1, "stale")
    assert rows["bybit"][2] == "2025-01-02 03:04"  # the fetch time is shown, not judged
    assert "2026-11-27 00:30 UTC" in section.note
