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


def test_the_names_kept_for_bi_are_no_stand_in_for_the_figures_layer(tmp_path, data_dir):
    """A warehouse with only the compat names (marts.headline_figures, marts.data_quality_results) shows
    neither section, and its notes name the figures-layer relations it lacks."""
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("""CREATE TABLE marts.data_quality_results AS SELECT * FROM (VALUES
            (DATE '2026-11-26', 'dbt', 'x', 'marts.funding_rates', 'failed', '1 failing rows', 'error'))
            t(run_date, suite, expectation, "table", status, observed_value, severity)""")
        con.execute("""CREATE TABLE marts.headline_figures AS SELECT * FROM (VALUES
            (DATE '2026-11-26', 'open_interest_usd', 'BTC', NULL, 1.0, 'usd', 'unverified', 'missing: okx'))
            t(date, figure, asset, entity, value, unit, verification_status, reason)""")
    status = collect(warehouse, tmp_path / "snapshot.duckdb")
    titles = [s.title for s in status.sections]
    assert not [t for t in titles if t.startswith(("Failing checks", "Figures not verified"))], titles
    assert [n.split(":")[0] for n in status.notes[:2]] == ["no figures.headline_figures in the warehouse",
                                                           "no figures.check_results in the warehouse"]


def test_the_snapshot_is_read_where_publish_puts_the_figures_layer(tmp_path, data_dir):
    """With no warehouse to read, the figures come from the published figures.headline_figures and the
    checks from the one table publish makes of the view figures.check_results (marts.data_quality_results)."""
    from dwh.publish import SNAPSHOT_DB, publish_snapshot

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for schema in ("audit", "figures", "marts"):
            con.execute(f"CREATE SCHEMA {schema}")
        con.execute("""CREATE TABLE audit.data_quality_results AS SELECT * FROM (VALUES
            (DATE '2026-11-26', 'dbt', 'funding_rates_day_has_events', 'marts.funding_rates', 'failed', '1', 'warning'),
            (DATE '2026-11-26', 'dbt', 'other', 'marts.funding_rates', 'passed', '0', 'error'))
            t(run_date, suite, expectation, "table", status, observed_value, severity)""")
        con.execute("CREATE VIEW figures.check_results AS SELECT * FROM audit.data_quality_results")
        con.execute("CREATE VIEW marts.data_quality_results AS SELECT * FROM figures.check_results")
        con.execute("""CREATE TABLE figures.headline_figures AS SELECT * FROM (VALUES
            (DATE '2026-11-26', 'open_interest_usd', 'ETH', NULL, 2.0, 'usd', 'disputed', 'coinglass differs'))
            t(date, figure, asset, entity, value, unit, verification_status, reason)""")
    publish_snapshot(warehouse, tmp_path / "snapshot")
    warehouse.unlink()
    status = collect(warehouse, tmp_path / "snapshot" / SNAPSHOT_DB)
    sections = {s.title: s for s in status.sections}
    assert status.origin.startswith("snapshot")
    assert sections["Failing checks (latest validation run)"].note == "1 of 2 checks failing on the run of 2026-11-26"
    assert [r[2] for r in sections["Figures not verified (latest day)"].rows] == ["ETH"]
    assert not [n for n in status.notes if n.startswith("no figures")], status.notes
