"""`dwh` as a user runs it: one-line errors with exit code 2, the sql formats, status sections."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import duckdb
import pytest

from dwh.publish import publish_snapshot
from tests.cli._helpers import DAYS, dwh, funding_rows, make_warehouse


def assert_usage_error(proc, *fragments: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("args, fragments", [
    (["run", "--date", "2026-13-01"], ["not a date", "2026-13-01"]),
    (["run", "--date", "yesterday"], ["not a date"]),
    (["brief", "--date", "26/11/2026"], ["not a date"]),
    (["backfill", "--start", "2026-11-01", "--end", "2026-02-30"], ["not a date", "2026-02-30"]),
    (["backfill", "--start", "2026-11-05", "--end", "2026-11-01"], ["before"]),
    (["run", "--date", "2026-11-20", "--source", "nosuchvenue"], ["unknown source 'nosuchvenue'", "binance"]),
    (["backfill", "--start", "2026-11-01", "--end", "2026-11-02", "--source", "bybit,nosuch"],
     ["unknown source 'nosuch'"]),
    (["run"], ["--date"]),
    (["frobnicate"], ["invalid choice"]),
])
def test_usage_errors_are_one_line_exit_2(tmp_path, args, fragments):
    assert_usage_error(dwh(*args, data_dir=tmp_path), *fragments)


def test_missing_snapshot_and_warehouse(tmp_path):
    assert_usage_error(dwh("sql", "select 1", data_dir=tmp_path), "no published snapshot", str(tmp_path))
    assert_usage_error(dwh("status", data_dir=tmp_path), "no warehouse", "no snapshot")
    assert_usage_error(dwh("docs", "--no-serve", data_dir=tmp_path), "no warehouse")


def test_unknown_source_is_checked_against_the_configured_file(tmp_path):
    sources = tmp_path / "sources.yml"
    sources.write_text("sources:\n  bybit:\n    base_url: http://127.0.0.1:9/bybit\n    assets: [BTC]\n")
    proc = dwh("run", "--date", "2026-11-20", "--source", "binance", data_dir=tmp_path,
               env={"DWH_SOURCES": str(sources)})
    assert_usage_error(proc, "unknown source 'binance'", "configured: bybit")


@pytest.fixture()
def snapshot_dir(tmp_path) -> Path:
    publish_snapshot(make_warehouse(tmp_path), tmp_path / "snapshot")
    return tmp_path


QUERY = ("select date, exchange, asset, annualized_rate from marts.funding_daily "
         "where asset = 'BTC' order by date, exchange")


def _expected() -> list[tuple]:
    rows = sorted((r for r in funding_rows() if r[1] == "BTC"), key=lambda r: (r[0], r[2]))
    return [(r[0], r[2], r[1], r[4]) for r in rows]


def test_sql_csv(snapshot_dir):
    proc = dwh("sql", QUERY, "--format", "csv", data_dir=snapshot_dir)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == ["date", "exchange", "asset", "annualized_rate"]
    got = [(dt.date.fromisoformat(d), e, a, float(v)) for d, e, a, v in rows[1:]]
    assert got == _expected()


def test_sql_json(snapshot_dir):
    proc = dwh("sql", QUERY, "--format", "json", data_dir=snapshot_dir)
    assert proc.returncode == 0, proc.stderr
    records = json.loads(proc.stdout)
    assert [(dt.date.fromisoformat(r["date"]), r["exchange"], r["asset"], r["annualized_rate"]) for r in records] \
        == _expected()


def test_sql_table_is_the_default(snapshot_dir):
    proc = dwh("sql", QUERY, data_dir=snapshot_dir, env={"COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    expected = _expected()
    assert "annualized_rate" in proc.stdout and "exchange" in proc.stdout
    assert str(expected[0][3]) in proc.stdout, "values are printed in full, not rounded"
    assert f"({len(expected)} rows)" in proc.stdout


def test_sql_is_read_only_and_errors_are_one_line(snapshot_dir):
    proc = dwh("sql", "delete from marts.funding_daily", data_dir=snapshot_dir)
    assert proc.returncode == 1
    assert "read-only" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = dwh("sql", "selec 1", data_dir=snapshot_dir)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    with duckdb.connect(str(snapshot_dir / "snapshot" / "marts.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.funding_daily").fetchone()[0] == len(funding_rows())


def test_status_reports_runs_freshness_checks_and_figures(tmp_path):
    warehouse = make_warehouse(tmp_path)
    now = dt.datetime.now(dt.UTC)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("""CREATE TABLE raw.ingest_runs (source VARCHAR, dataset VARCHAR, date DATE, run_id VARCHAR,
                       status VARCHAR, error VARCHAR, responses INTEGER, statuses JSON, started_at TIMESTAMPTZ,
                       finished_at TIMESTAMPTZ)""")
        con.executemany("INSERT INTO raw.ingest_runs VALUES (?, ?, ?, ?, ?, NULL, 1, '{}', ?, ?)", [
            ("bybit", "funding_rates", DAYS[-1], "r1", "ok", now, now),
            ("okx", "funding_rates", DAYS[-1], "r2", "failed", now, now),
        ])
        con.execute("CREATE TABLE raw.bybit__funding_rates (x INTEGER, _date DATE, _fetched_at TIMESTAMPTZ)")
        con.execute("INSERT INTO raw.bybit__funding_rates VALUES (1, ?, ?)", [DAYS[-1], now - dt.timedelta(hours=2)])
        con.execute("CREATE TABLE raw.okx__funding_rates (x INTEGER, _date DATE, _fetched_at TIMESTAMPTZ)")
        con.execute("INSERT INTO raw.okx__funding_rates VALUES (1, ?, ?)", [DAYS[0], now - dt.timedelta(days=3)])
        con.execute("CREATE SCHEMA figures")
        con.execute("""CREATE TABLE figures.check_results (run_date DATE, suite VARCHAR, expectation VARCHAR,
                       "table" VARCHAR, status VARCHAR, observed_value VARCHAR, severity VARCHAR)""")
        con.execute("""INSERT INTO figures.check_results VALUES
                       (?, 'marts.funding_daily', 'expect_rates_in_range', 'marts.funding_daily', 'failed', '7', 'error'),
                       (?, 'marts.funding_daily', 'expect_not_null', 'marts.funding_daily', 'passed', '0', 'error')""",
                    [DAYS[-1], DAYS[-1]])
    proc = dwh("status", data_dir=tmp_path, env={"COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Last ingest run per source" in out and "okx" in out and "funding_rates" in out
    assert "Freshness per source" in out
    bybit_line = next(line for line in out.splitlines() if "bybit" in line and "fresh" in line)
    assert "stale" not in bybit_line
    assert any("okx" in line and "stale" in line for line in out.splitlines())
    assert "expect_rates_in_range" in out and "1 of 2 checks failing" in out
    # no figures.headline_figures yet: the section is skipped and a note says why
    assert "Figures not verified" not in out
    assert "note: no figures.headline_figures in the warehouse" in out


def test_status_reads_the_snapshot_while_the_warehouse_is_locked(tmp_path):
    warehouse = make_warehouse(tmp_path)
    publish_snapshot(warehouse, tmp_path / "snapshot")
    with duckdb.connect(str(tmp_path / "snapshot" / "marts.duckdb"), read_only=True):
        pass
    import subprocess
    import sys
    import textwrap

    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, time, duckdb
        con = duckdb.connect(sys.argv[1]); print("held", flush=True); time.sleep(30)
    """), str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        proc = dwh("status", data_dir=tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 0, proc.stderr
    assert "status from the snapshot" in proc.stdout and "locked" in proc.stdout
