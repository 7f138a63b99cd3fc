"""`dwh run` when the configuration is wrong, when nothing is enabled, and when every source is down:
a clear message, a non-zero exit code, and nothing published as if it were data."""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit, urlunsplit

import duckdb
import yaml

from sandbox.harness.process import free_port
from tests.cli._helpers import dwh
from tests.conftest import PROJECT


def test_a_config_mistake_is_one_line_and_nothing_is_asked(tmp_path):
    doc = yaml.safe_load((PROJECT / "config" / "sources.yml").read_text())
    doc["sources"]["bitmex"]["rate_limit"]["requests_per_second"] = -5
    sources = tmp_path / "sources.yml"
    sources.write_text(yaml.safe_dump(doc, sort_keys=False))
    proc = dwh("run", "--date", "2026-12-04", data_dir=tmp_path / "data", env={"DWH_SOURCES": str(sources)})
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.strip() == (f"dwh: error: {sources}: sources.bitmex.rate_limit.requests_per_second: "
                                   "must be > 0, got -5")
    assert not (tmp_path / "data" / "landing").exists()  # raised before any request


def test_nothing_enabled_is_an_error(tmp_path):
    doc = yaml.safe_load((PROJECT / "config" / "sources.yml").read_text())
    for block in doc["sources"].values():
        block["enabled"] = False
    sources = tmp_path / "sources.yml"
    sources.write_text(yaml.safe_dump(doc, sort_keys=False))
    proc = dwh("run", "--date", "2026-12-04", data_dir=tmp_path / "data", env={"DWH_SOURCES": str(sources)})
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.strip() == (f"dwh: error: no source is enabled in {sources}: nothing to ingest, build or "
                                   "publish (set `enabled: true` on at least one source)")
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()


def dead_copy_of_the_default_sources(path):
    """config/sources.yml with every URL moved to a closed loopback port (connection refused), paths kept."""
    doc = yaml.safe_load((PROJECT / "config" / "sources.yml").read_text())
    dead = f"127.0.0.1:{free_port()}"
    for block in doc["sources"].values():
        for key, value in block.items():
            if isinstance(value, str) and re.match(r"^(https?|wss?)://", value):
                parts = urlsplit(value)
                block[key] = urlunsplit(parts._replace(scheme=parts.scheme.replace("https", "http")
                                                       .replace("wss", "ws"), netloc=dead))
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert "https://" not in path.read_text() and dead in path.read_text()
    return doc, dead


def test_every_source_down_ends_quickly_each_failed_with_its_cause(tmp_path):
    sources = tmp_path / "sources.yml"
    doc, dead = dead_copy_of_the_default_sources(sources)
    enabled = sorted(n for n, b in doc["sources"].items() if b.get("enabled", True))
    data = tmp_path / "data"
    t0 = time.monotonic()
    proc = dwh("run", "--date", "2026-12-04", data_dir=data, env={"DWH_SOURCES": str(sources)}, timeout=150)
    took = time.monotonic() - t0
    assert took < 120, f"took {took:.0f} s"
    assert proc.returncode == 1, (proc.stdout, proc.stderr[-3000:])
    failed_lines = [line.strip() for line in proc.stdout.splitlines() if line.strip().startswith("ingest failed:")]
    for name in enabled:
        mine = [line for line in failed_lines if line.startswith(f"ingest failed: {name}: ")]
        assert mine, (name, proc.stdout)
        assert any(f"{dead} unreachable" in line and "Connection refused" in line for line in mine), mine
    # the dependent datasets are named as skipped because of their input, not as failures of their own
    assert "skipped: binance: option_open_interest, because input dataset option_symbols failed: " in proc.stdout
    assert "skipped: mempool_space: address_txs, because input dataset address_stats failed: " in proc.stdout
    assert "no source delivered anything for 2026-12-04: nothing modelled or published" in proc.stderr
    assert "Traceback" not in proc.stderr
    # a few warnings per dead host, not one per request and retry (1,044 of them before the breaker)
    assert proc.stderr.count("failed: NewConnectionError") < 100, proc.stderr.count("failed: NewConnectionError")
    # nothing published as if it were data; the failures are on record for `dwh status`
    assert not (data / "snapshot").exists()
    assert not list(data.glob("reports/brief_*"))
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        runs = con.execute("SELECT source, status, count(*) FROM raw.ingest_runs GROUP BY ALL ORDER BY ALL").fetchall()
        marts = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts'").fetchone()
    assert {s for s, _, _ in runs} == set(enabled)
    assert {status for _, status, _ in runs} <= {"failed", "skipped"}
    assert marts == (0,)


DAG_PROBE = r"""
import json, os, sys
from airflow.models.dagbag import DagBag
out = {}
for sources in sys.argv[2:]:
    os.environ["DWH_SOURCES"] = sources
    bag = DagBag(dag_folder=sys.argv[1])
    dag = bag.dags.get("crypto_market_daily")
    out[sources] = {"errors": [str(e) for e in bag.import_errors.values()],
                    "ingests": sorted(t.task_id for t in dag.tasks if t.task_id.startswith("ingest_")) if dag else None}
print(json.dumps(out))
"""


def test_the_dag_refuses_a_bad_or_empty_sources_file_at_parse_time(tmp_path):
    import json
    import os
    import subprocess
    import sys

    default = yaml.safe_load((PROJECT / "config" / "sources.yml").read_text())
    bad, empty, good = tmp_path / "bad.yml", tmp_path / "empty.yml", tmp_path / "good.yml"
    doc = yaml.safe_load(yaml.safe_dump(default))
    doc["sources"]["okx"]["base_url"] = 12
    bad.write_text(yaml.safe_dump(doc, sort_keys=False))
    doc = yaml.safe_load(yaml.safe_dump(default))
    for block in doc["sources"].values():
        block["enabled"] = False
    empty.write_text(yaml.safe_dump(doc, sort_keys=False))
    doc["sources"]["bitmex"]["enabled"] = True
    good.write_text(yaml.safe_dump(doc, sort_keys=False))
    env = dict(os.environ, AIRFLOW_HOME=str(tmp_path / "airflow"), AIRFLOW__CORE__LOAD_EXAMPLES="False",
               AIRFLOW__CORE__UNIT_TEST_MODE="True")
    proc = subprocess.run([sys.executable, "-c", DAG_PROBE, str(PROJECT / "dags"), str(bad), str(empty), str(good)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out[str(bad)]["ingests"] is None
    assert f"{bad}: sources.okx.base_url: must be a string, got int 12" in out[str(bad)]["errors"][0]
    assert out[str(empty)]["ingests"] is None
    assert f"no source is enabled in {empty}: nothing to ingest" in out[str(empty)]["errors"][0]
    assert out[str(good)] == {"errors": [], "ingests": ["ingest_venues"]}
