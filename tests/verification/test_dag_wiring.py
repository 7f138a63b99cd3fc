"""The DAG's graph is the run's order (dwh.pipeline.steps_after_load): every ingest, the load, freshness, GX on
raw, one dbt build of the whole project, GX on the figures, the brief, publish; writers in the one-slot pool."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT

pytestmark = pytest.mark.slow

PROBE = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
dag = bag.dags["crypto_market_daily"]
out = {t.task_id: {"up": sorted(t.upstream_task_ids), "pool": t.pool, "trigger": getattr(t.trigger_rule, "value", t.trigger_rule),
                   "start": dag.start_date.isoformat(), "doc": t.doc_md} for t in dag.tasks}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def tasks(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow")
    env = dict(os.environ, AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False",
               AIRFLOW__CORE__UNIT_TEST_MODE="True", DWH_SOURCES=str(PROJECT / "config" / "sandbox.yml"))
    proc = subprocess.run([sys.executable, "-c", PROBE, str(PROJECT / "dags")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_run_is_one_chain_with_one_dbt_build(tasks):
    from dwh.pipeline import source_names, steps_after_load

    ingests = {t for t in tasks if t.startswith("ingest_")}
    # one ingest task per kind of source, each naming the enabled sources it fetches; every source in one
    assert ingests == {"ingest_venues", "ingest_aggregators", "ingest_onchain"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWH_SOURCES", str(PROJECT / "config" / "sandbox.yml"))
        for kind, task in (("venue", "ingest_venues"), ("aggregator", "ingest_aggregators"), ("onchain", "ingest_onchain")):
            assert tasks[task]["doc"] == f"Ingests {', '.join(source_names(kind))} for D, in parallel.", task
    chain = ["load_raw"] + [name for name, _ in steps_after_load("2026-11-24")]
    assert set(tasks) == ingests | set(chain)  # no other task: no per-model dbt tasks, no second build
    assert [t for t in tasks if "dbt" in t] == ["dbt_build"]
    assert set(tasks["load_raw"]["up"]) == ingests and tasks["load_raw"]["trigger"] == "all_done"
    for before, after in zip(chain, chain[1:]):
        assert tasks[after]["up"] == [before], after


def test_every_warehouse_writer_holds_the_one_slot_pool(tasks):
    writers = {"load_raw", "source_freshness", "validate", "dbt_build", "validate_figures", "publish"}
    assert {t for t, v in tasks.items() if v["pool"] == "duckdb_writer"} >= writers
    assert all(v["pool"] != "duckdb_writer" for t, v in tasks.items() if t.startswith("ingest_"))


def test_dates_are_utc(tasks):
    assert {v["start"] for v in tasks.values()} == {"2026-10-01T00:00:00+00:00"}
