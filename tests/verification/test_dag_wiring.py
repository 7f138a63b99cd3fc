"""The DAG runs the verification after validation: freshness before the main dbt build, the models tagged
`verification` only in a second group that waits for `validate`, then GX on the figures, the brief, publish."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT

pytestmark = pytest.mark.slow
MANIFEST = PROJECT / "dbt_project" / "target" / "manifest.json"

PROBE = r"""
import json, sys
from airflow.models.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
dag = bag.dags["crypto_market_daily"]
out = {t.task_id: {"up": sorted(t.upstream_task_ids), "down": sorted(t.downstream_task_ids)} for t in dag.tasks}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def tasks(tmp_path_factory):
    # `make test` writes the manifest first (target `manifest`): a missing or stale one is a failure
    assert MANIFEST.exists(), f"{MANIFEST} missing: run `make manifest`"
    assert "model.crypto_dwh.headline_figures" in json.loads(MANIFEST.read_text())["nodes"], \
        "the dbt manifest predates the verification models: run `make manifest`"
    home = tmp_path_factory.mktemp("airflow")
    env = dict(os.environ, AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False",
               AIRFLOW__CORE__UNIT_TEST_MODE="True", DWH_SOURCES=str(PROJECT / "config" / "sandbox.yml"))
    proc = subprocess.run([sys.executable, "-c", PROBE, str(PROJECT / "dags")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def upstream_closure(tasks: dict, task_id: str) -> set[str]:
    seen, todo = set(), [task_id]
    while todo:
        for up in tasks[todo.pop()]["up"]:
            if up not in seen:
                seen.add(up)
                todo.append(up)
    return seen


def test_headline_figures_are_built_after_validation_and_freshness(tasks):
    verification = [t for t in tasks if t.startswith("dbt_verification.")]
    assert any("headline_figures" in t for t in verification), sorted(tasks)
    for t in verification:
        assert {"validate", "source_freshness"} <= upstream_closure(tasks, t), t


def test_the_main_build_leaves_the_verification_models_out(tasks):
    main = [t for t in tasks if t.startswith("dbt.")]
    assert main and not any("headline_figures" in t or "int_figures_" in t for t in main)
    assert "validate" not in {u for t in main for u in upstream_closure(tasks, t)}


def test_figures_are_checked_then_briefed_then_published(tasks):
    assert any(t.startswith("dbt_verification.") for t in upstream_closure(tasks, "validate_figures"))
    assert "validate_figures" in upstream_closure(tasks, "brief")
    assert "brief" in upstream_closure(tasks, "publish")
