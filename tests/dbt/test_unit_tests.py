"""Every dbt unit test of the project, once, where each can run; and the mart tests' report of that build.

A unit test reads fixed fixture rows, not the day's data, but dbt still looks up the column types of every
relation it mocks, so each mocked table has to exist. The daily runs build without unit tests (a disabled
venue's raw table is never created, and dbt recommends unit tests for development and CI only:
https://docs.getdbt.com/docs/build/unit-tests, "When to run unit tests"); here the raw layer is created empty,
with the loader's own DDL for every dataset of every registered source, and the whole project is built with
its unit tests, in dependency order as dbt runs them.

On that empty raw layer every mart is empty, so the mart tests that need the run date's rows fail: that is
what figures.mart_check_results must report, one row per mart test, without stopping the build.
"""
from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

DAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from dwh import pipeline
    from dwh.dbt import run_dbt, target_dir
    from dwh.freshness import DDL as FRESHNESS_DDL
    from expectations.runner import RESULTS_DDL
    from ingest.load import ensure_dataset_table, ensure_tables
    from ingest.stream.load import ensure_stream_tables
    from ingest.venues import MODULES, datasets_for

    data = tmp_path_factory.mktemp("dbt_unit") / "data"
    data.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWH_DATA_DIR", str(data))
        with duckdb.connect(str(data / "warehouse.duckdb")) as con:
            ensure_tables(con)
            ensure_stream_tables(con)
            for source in MODULES:
                for ds in datasets_for(source):
                    ensure_dataset_table(con, source, ds)
            con.execute("CREATE SCHEMA IF NOT EXISTS audit")  # the checks' results, written before dbt runs
            con.execute(FRESHNESS_DDL)
            con.execute(RESULTS_DDL)

        proc = run_dbt(["build", "--vars", pipeline.dbt_vars(DAY)], check=False)
        results = json.loads((target_dir() / "run_results.json").read_text())["results"]
        manifest = json.loads((target_dir() / "manifest.json").read_text())
    return proc, results, manifest, data / "warehouse.duckdb"


def test_every_dbt_unit_test_passes(built):
    proc, results, manifest, _ = built
    unit = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    failed = {uid: status for uid, status in unit.items() if status != "pass"}
    assert not failed, proc.stdout[-4000:]
    # every unit test in the project ran (none was skipped because a model upstream of it failed)
    assert set(unit) == set(manifest["unit_tests"]) and len(unit) >= 40, sorted(set(manifest["unit_tests"]) - set(unit))
    assert proc.returncode == 0, proc.stdout[-4000:]


def _mart_tests(manifest) -> dict[str, dict]:
    nodes = manifest["nodes"]
    return {n["name"]: n for n in nodes.values() if n["resource_type"] == "test"
            and nodes.get(n.get("attached_node") or "", {}).get("original_file_path", "").startswith("models/marts/")}


def test_mart_tests_are_reported_for_the_run_without_stopping_it(built):
    proc, results, manifest, db = built
    tests = _mart_tests(manifest)
    assert len(tests) >= 80
    status = {r["unique_id"]: r["status"] for r in results}
    # a data problem warns: no mart test errors, and the figures after them were all built
    assert {status[t["unique_id"]] for t in tests.values()} <= {"pass", "warn"}
    figures = [uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model" and "figures" in n["tags"]]
    assert figures and all(status[uid] == "success" for uid in figures)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = {e: (st, sev, obs, d, run) for e, st, sev, obs, d, run in con.execute(
            """SELECT expectation, status, severity, observed_value, "table", run_date FROM figures.mart_check_results""").fetchall()}
        compat = con.execute("""SELECT count(*) FROM marts.data_quality_results WHERE suite = 'dbt'""").fetchone()[0]
    assert set(rows) == set(tests)  # one row per mart test
    assert compat == len(rows)  # and the old name still reads them
    assert {r[4] for r in rows.values()} == {DAY}
    for name, node in tests.items():
        withholds = node["config"]["meta"]["withholds"]
        assert isinstance(withholds, bool), name
        assert rows[name][1] == ("error" if withholds else "warning"), name
        tested = manifest["nodes"][node["attached_node"]]["name"]
        assert rows[name][3] == f"marts.{tested}", name
        # dbt's own verdict and the report agree: warn <=> failing rows stored
        assert (status[node["unique_id"]] == "warn") == (rows[name][0] == "failed"), (name, rows[name])
    # the empty marts miss the run date (withholding), and a missing venue only marks the figures
    assert rows["funding_daily_has_run_date"][:3] == ("failed", "error", "1 failing rows")
    assert rows["fct_liquidations_day_has_events"][:2] == ("failed", "warning")
    assert rows["funding_rates_within_venue_caps"][:2] == ("passed", "warning")


def test_layers_run_one_way(built):
    """Nothing upstream of the figures layer reads it or the check results; mart tests report through audit;
    and the report of the mart tests is built after every mart (so after all of their tests)."""
    _, _, manifest, _ = built
    nodes = manifest["nodes"]
    layer = {uid: n["original_file_path"].split("/")[1] for uid, n in nodes.items() if n["resource_type"] == "model"}
    for uid, n in nodes.items():
        if n["resource_type"] != "model" or layer[uid] == "figures":
            continue
        upstream = n["depends_on"]["nodes"]
        assert not [u for u in upstream if layer.get(u) == "figures" or u.startswith("source.crypto_dwh.audit.")], uid
    for name, node in _mart_tests(manifest).items():
        assert node["config"]["store_failures"] is True and node["schema"] == "audit", name
        assert node["config"]["severity"].lower() == "warn", name
    # its refs are the var mart_domains (dbt_project.yml): every mart, and nothing else
    report = set(nodes["model.crypto_dwh.mart_check_results"]["depends_on"]["nodes"])
    marts = {uid for uid, lay in layer.items() if lay == "marts"}
    assert marts and report == marts, sorted(marts ^ report)


def test_every_replace_from_model_records_the_loads_it_has_seen(built):
    """A replace_from model's next run rebuilds the days loaded since its last build (macros/incremental.sql):
    that needs the newest load it saw, recorded by its post_hook, for every such model."""
    _, _, manifest, db = built
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"
              and n["config"].get("incremental_strategy") == "replace_from"}
    assert len(models) >= 4, sorted(models)
    for name, node in models.items():
        assert any("record_rebuild_watermark()" in h["sql"] for h in node["config"]["post-hook"]), name
    with duckdb.connect(str(db), read_only=True) as con:
        recorded = dict(con.execute("SELECT model, load_seq FROM build_state.rebuild_watermarks").fetchall())
    assert recorded == dict.fromkeys(models, 0), recorded  # an empty raw layer: no load yet


@pytest.mark.slow  # two more dbt builds
def test_mart_check_results_keep_each_run_date_and_a_rerun_replaces_its_own(built):
    from dwh import pipeline
    from dwh.dbt import run_dbt

    _, _, manifest, db = built
    n = len(_mart_tests(manifest))
    later = DAY + dt.timedelta(days=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWH_DATA_DIR", str(db.parent))
        for day in (later, later):  # the second is a rerun of the same day
            run_dbt(["build", "--select", "mart_check_results", "--exclude-resource-type", "unit_test",
                     "--vars", pipeline.dbt_vars(day)])
    with duckdb.connect(str(db), read_only=True) as con:
        counts = dict(con.execute("SELECT run_date, count(*) FROM figures.mart_check_results GROUP BY 1").fetchall())
    assert counts == {DAY: n, later: n}
