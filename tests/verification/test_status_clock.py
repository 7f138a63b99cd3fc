"""`dwh status` judges each source's age on the latest run's clock: a warehouse backfilled long ago, or read
a year later, says the same as on the morning after its last day."""
from __future__ import annotations

import datetime as dt

import duckdb

from dwh.status import collect

LATEST = dt.date(2026, 11, 26)


def test_source_ages_are_measured_against_the_latest_runs_reference(tmp_path, data_dir):
    warehouse = tmp_path / "warehouse.duckdb"
    fetched_long_ago = dt.datetime(2025, 1, 2, 3, 4, tzinfo=dt.UTC)  # a backfill, fetched whenever
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


def test_failing_checks_and_figures_come_from_the_figures_layer(tmp_path, data_dir):
    """GX rows and the marts' dbt tests alike (figures.check_results); figures from figures.headline_figures."""
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA figures")
        con.execute("""CREATE TABLE figures.check_results AS SELECT * FROM (VALUES
            (DATE '2026-11-26', 'dbt', 'funding_rates_day_has_events', 'marts.funding_rates', 'failed', '1 failing rows', 'error'),
            (DATE '2026-11-26', 'raw.okx__funding_rates', 'expect_column_values_to_be_unique:_key', 'raw.okx__funding_rates',
             'passed', NULL, 'error'),
            (DATE '2026-11-25', 'dbt', 'old_failure', 'marts.funding_rates', 'failed', '2 failing rows', 'error'))
            t(run_date, suite, expectation, "table", status, observed_value, severity)""")
        con.execute("""CREATE TABLE figures.headline_figures AS SELECT * FROM (VALUES
            (DATE '2026-11-26', 'open_interest_usd', 'BTC', NULL, 1.0, 'usd', 'unverified', 'missing: okx'),
            (DATE '2026-11-26', 'open_interest_usd', 'ETH', NULL, 2.0, 'usd', 'verified', NULL))
            t(date, figure, asset, entity, value, unit, verification_status, reason)""")
    sections = {s.title: s for s in collect(warehouse, tmp_path / "snapshot.duckdb").sections}
    checks = sections["Failing checks (latest validation run)"]
    assert [r[2] for r in checks.rows] == ["funding_rates_day_has_events"]
    assert checks.note == "1 of 2 checks failing on the run of 2026-11-26"
    assert [r[2] for r in sections["Figures not verified (latest day)"].rows] == ["BTC"]
