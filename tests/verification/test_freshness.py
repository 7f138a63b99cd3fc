"""`dbt source freshness` results into audit.source_freshness: one verdict per table and run date, replaced on rerun."""
from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from dwh import freshness

DAY = dt.date(2026, 11, 26)


def sources_json(tmp_path, statuses: dict[str, str]):
    results = []
    for table, status in statuses.items():
        entry = {"unique_id": f"source.crypto_dwh.raw.{table}", "status": status,
                 "criteria": {"warn_after": {"count": 36, "period": "hour"}, "error_after": {"count": None, "period": None}}}
        if status == "runtime error":
            entry["error"] = "Catalog Error: Table does not exist"
        else:
            entry.update(max_loaded_at="2026-11-25T00:30:00+00:00", snapshotted_at="2026-11-27T00:31:00+00:00",
                         max_loaded_at_time_ago_in_s=48.0 * 3600 if status == "warn" else 1800.0)
        results.append(entry)
    path = tmp_path / "sources.json"
    path.write_text(json.dumps({"metadata": {"generated_at": "2026-11-27T00:31:00Z"}, "results": results}))
    return path


def test_verdicts_are_parsed_per_table(tmp_path):
    rows = freshness.parse(sources_json(tmp_path, {"okx__funding_rates": "pass", "bybit__funding_rates": "warn",
                                                   "coinalyze__liquidation_history": "runtime error"}), DAY)
    by_table = {r["table_name"]: r for r in rows}
    assert by_table["bybit__funding_rates"]["status"] == "warn"
    assert by_table["bybit__funding_rates"]["age_hours"] == 48.0
    assert by_table["bybit__funding_rates"]["warn_after_hours"] == 36.0
    assert by_table["coinalyze__liquidation_history"]["error"].startswith("Catalog Error")
    assert {r["source_name"] for r in rows} == {"raw"} and {r["run_date"] for r in rows} == {DAY}


def test_store_replaces_the_days_verdicts(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    freshness.store(con, DAY, freshness.parse(sources_json(tmp_path, {"a": "warn", "b": "pass"}), DAY))
    freshness.store(con, DAY, freshness.parse(sources_json(tmp_path, {"a": "pass"}), DAY))
    freshness.store(con, DAY - dt.timedelta(days=1), freshness.parse(sources_json(tmp_path, {"a": "warn"}), DAY - dt.timedelta(days=1)))
    rows = con.execute("SELECT run_date, table_name, status FROM audit.source_freshness ORDER BY run_date").fetchall()
    assert rows == [(DAY - dt.timedelta(days=1), "a", "warn"), (DAY, "a", "pass")]


def test_a_second_verdict_for_one_table_and_day_is_refused(tmp_path):
    """One verdict per table and run date is the table's key (no GX suite re-checks it)."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    rows = freshness.parse(sources_json(tmp_path, {"a": "pass"}), DAY)
    with pytest.raises(duckdb.ConstraintException):
        freshness.store(con, DAY, rows + rows)
    assert con.execute("SELECT count(*) FROM audit.source_freshness").fetchone() == (0,)
