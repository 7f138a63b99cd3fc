"""A small published snapshot for the dashboard tests: funding_daily and the checks, no other mart."""
from __future__ import annotations

from pathlib import Path

import duckdb

from dwh.publish import publish_snapshot
from tests.cli._helpers import make_warehouse
from tests.conftest import PROJECT

DASH_PY = PROJECT / "dashboard" / ".venv" / "bin" / "python"


def publish_small_snapshot(data: Path, version: int = 0) -> Path:
    """Publishes into data/snapshot; `version` changes every funding value (tests/cli/_helpers.py)."""
    warehouse = make_warehouse(data, version)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("""CREATE OR REPLACE TABLE marts.data_quality_results (run_date DATE, suite VARCHAR,
                       expectation VARCHAR, "table" VARCHAR, status VARCHAR, observed_value VARCHAR, severity VARCHAR,
                       checked_at TIMESTAMPTZ, details JSON)""")
        con.execute("""INSERT INTO marts.data_quality_results VALUES
            ('2026-11-22', 'marts.funding_daily', 'expect_column_values_to_be_between', 'marts.funding_daily',
             'failed', '4', 'warning', now(), '{}'),
            ('2026-11-22', 'marts.funding_daily', 'expect_column_values_to_not_be_null', 'marts.funding_daily',
             'passed', '0', 'error', now(), '{}')""")
    return publish_snapshot(warehouse, data / "snapshot")
