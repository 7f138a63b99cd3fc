"""The sandbox's own CLI for the harness: `python -m sandbox backfill` steers the clock that `dwh backfill`
no longer knows about."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import duckdb

from sandbox.harness import backfill
from sandbox.harness.process import free_port
from tests.conftest import PROJECT
from tests.support.sandbox import in_process_sandbox, warehouse_env

DAY = dt.date(2026, 11, 20)


def test_backfill_refuses_a_url_where_no_sandbox_answers():
    url = f"http://127.0.0.1:{free_port()}"
    proc = subprocess.run([sys.executable, "-m", "sandbox", "backfill", "--url", url,
                           "--start", DAY.isoformat(), "--end", DAY.isoformat()],
                          cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert f"no sandbox answering at {url}" in proc.stderr


def test_backfill_sets_the_sandbox_clock_to_each_days_run_before_its_ingest(tmp_path):
    days = [DAY, DAY + dt.timedelta(days=1)]
    # a clock far before the range: the venue would have nothing for D unless the harness moved it
    with in_process_sandbox("2026-01-01T00:00:00Z") as sb, warehouse_env(sb.url, tmp_path / "data"):
        code = backfill.main(["--url", sb.url, "--start", days[0].isoformat(), "--end", days[-1].isoformat(),
                              "--source", "hyperliquid", "--no-build"])
        now = dt.datetime.fromisoformat(sb.health()["now"].replace("Z", "+00:00"))
    assert code == 0
    assert now == dt.datetime(2026, 11, 22, 0, 30, tzinfo=dt.UTC)  # the run of the last day
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        loaded = dict(con.execute("SELECT _date, count(*) FROM raw.hyperliquid__funding_rates GROUP BY 1").fetchall())
    assert set(loaded) == set(days) and all(n > 0 for n in loaded.values()), loaded
    for day in days:
        marker = tmp_path / "data" / "state" / "backfill" / "hyperliquid" / f"{day.isoformat()}.json"
        assert json.loads(marker.read_text())["date"] == day.isoformat()
