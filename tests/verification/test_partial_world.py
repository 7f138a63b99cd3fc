"""A partial world: any subset of the sources builds, is checked and publishes (docs/verification.md).

One warehouse holding only the loader's own tables (no source ever landed anything) and one on-chain
provider's run manifest for D: dbt builds every model over it, GX skips what nothing enabled feeds with the
reason, and every headline figure is listed 'unverified' with why. Publishing withholds a mart whose
error-severity check failed and keeps its previous copy."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import PROJECT

pytestmark = pytest.mark.slow  # dbt builds the whole project over an empty warehouse
DAY = dt.date(2026, 11, 24)


def _sources(path: Path, enabled: dict[str, bool]) -> Path:
    """A sources file with a venue, a liquidation venue and a Bitcoin provider, enabled as given."""
    import yaml

    blocks = {
        "okx": {"kind": "venue", "base_url": "http://127.0.0.1:9/okx", "assets": ["BTC"],
                "liquidations": ["rest"]},
        "hyperliquid": {"kind": "venue", "base_url": "http://127.0.0.1:9/hyperliquid", "assets": ["BTC"]},
        "mempool_space": {"kind": "onchain", "chain": "bitcoin", "base_url": "http://127.0.0.1:9/mempool/api"},
    }
    for name, block in blocks.items():
        block["enabled"] = enabled.get(name, False)
    path.write_text(yaml.safe_dump({"sources": blocks}))
    return path


def _enabled(path: Path):
    from ingest.config import enabled_sources

    return enabled_sources(path=path)


def test_raw_columns_macro_is_the_loaders_own_types(tmp_path):
    """The stand-in of a missing raw table has exactly the columns and types the loader would create."""
    from dwh.raw_columns import MACRO_FILE, columns_by_table, render
    from ingest.load import ensure_dataset_table
    from ingest.venues import MODULES, datasets_for

    assert MACRO_FILE.read_text() == render(), "run `python -m dwh.raw_columns`"
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA raw")
    for source in MODULES:
        for ds in datasets_for(source):
            ensure_dataset_table(con, source, ds)
    created: dict[str, list[str]] = {}
    for table, column in con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                     "WHERE table_schema = 'raw' ORDER BY table_name, ordinal_position").fetchall():
        created.setdefault(table, []).append(column)
    assert created == {t: [c for c, _ in cols] for t, cols in columns_by_table().items()}
    # types as DuckDB names them (TIMESTAMPTZ is TIMESTAMP WITH TIME ZONE): cast each back and compare
    for table, cols in columns_by_table().items():
        stand_in = con.execute("SELECT " + ", ".join(f'CAST(NULL AS {typ}) AS "{name}"' for name, typ in cols)
                               + " WHERE false").description
        real = con.execute(f'SELECT * FROM raw."{table}" LIMIT 0').description
        assert [(d[0], str(d[1])) for d in stand_in] == [(d[0], str(d[1])) for d in real], table


def test_which_tables_an_enabled_source_feeds(tmp_path):
    from expectations.runner import unfed_reason

    onchain_only = _enabled(_sources(tmp_path / "a.yml", {"mempool_space": True}))
    assert unfed_reason("raw.okx__funding_rates", onchain_only) == "source okx is not enabled"
    assert unfed_reason("raw.mempool_space__address_stats", onchain_only) is None
    assert unfed_reason("raw.ingest_runs", onchain_only) is None  # the loader's own tables are always fed

    hyperliquid = _enabled(_sources(tmp_path / "b.yml", {"hyperliquid": True}))
    assert unfed_reason("raw.hyperliquid__funding_rates", hyperliquid) is None
    assert unfed_reason("raw.mempool_space__address_stats", hyperliquid) == "source mempool_space is not enabled"


@pytest.fixture(scope="module")
def empty_world(tmp_path_factory):
    """Only the loader's own tables, and mempool_space's run manifest for D (it ran and found nothing)."""
    from ingest.load import ensure_tables
    from ingest.stream.load import ensure_stream_tables

    data = tmp_path_factory.mktemp("partial") / "data"
    data.mkdir()
    old = os.environ.get("DWH_DATA_DIR")
    os.environ["DWH_DATA_DIR"] = str(data)
    try:
        db = data / "warehouse.duckdb"
        with duckdb.connect(str(db)) as con:
            ensure_tables(con)
            ensure_stream_tables(con)
            con.execute("INSERT INTO raw.ingest_runs (source, dataset, date, run_id, status, started_at) "
                        "VALUES ('mempool_space', 'address_stats', ?, 'r1', 'ok', TIMESTAMPTZ '2026-11-25 00:31:00+00')",
                        [DAY])
        yield data, db
    finally:
        if old is None:
            os.environ.pop("DWH_DATA_DIR", None)
        else:
            os.environ["DWH_DATA_DIR"] = old


def test_checks_skip_what_nothing_enabled_feeds_and_figures_say_why(empty_world, tmp_path):
    """The run's order: GX on raw, then the one dbt build (marts, their tests, the figures)."""
    import yaml

    from dwh import pipeline
    from expectations.runner import run_suites
    from expectations.suite import suites_for

    data, db = empty_world
    enabled = _enabled(_sources(tmp_path / "s.yml", {"mempool_space": True}))
    summary = run_suites(db, DAY, suites=suites_for("raw"), docs_dir=data / "docs", enabled=enabled)
    by_table: dict[str, set[tuple[str, str | None]]] = {}
    for r in summary.results:
        by_table.setdefault(r.table, set()).add((r.status, r.observed_value))
    assert by_table["raw.okx__funding_rates"] == {("skipped", "source okx is not enabled")}
    assert by_table["raw.bybit__liquidations_ws"] == {("skipped", "source bybit is not enabled")}
    # the loader's own tables are checked whatever is enabled
    assert not any(status == "skipped" for status, _ in by_table["raw.ingest_runs"])
    with duckdb.connect(str(db), read_only=True) as con:
        stored = dict(con.execute("""SELECT "table", any_value(observed_value) FROM audit.data_quality_results
                                     WHERE run_date = ? AND status = 'skipped' GROUP BY 1""", [DAY]).fetchall())
    assert stored["raw.okx__funding_rates"] == "source okx is not enabled"

    pipeline.dbt_build(DAY, unit_tests=False)
    with duckdb.connect(str(db), read_only=True) as con:
        figures = {(f, a): (v, s, r) for f, a, v, s, r in con.execute(
            "SELECT figure, asset, value, verification_status, reason FROM marts.headline_figures WHERE date = ?",
            [DAY]).fetchall()}
    families = yaml.safe_load((PROJECT / "config" / "tolerances.yml").read_text())["families"]
    assert {f for f, _ in figures} == {f for fam in families.values() for f in fam["figures"]}  # none vanished
    assert all(v is None and s == "unverified" for v, s, _ in figures.values())
    funding = figures[("funding_annualized_oi_weighted", "ALL")][2]
    assert funding.startswith("no enabled source for funding: none of ") and f"was ingested for {DAY}" in funding
    # entity balances are listed per registry entity (no address answered: unverified), not as one stand-in
    assert ("entity_balance", "ALL") not in figures


def test_a_failed_check_withholds_its_mart_and_publishes_the_rest(tmp_path):
    """The warehouse as the pipeline leaves it: GX results in audit, the figures layer's check results over
    them, marts and figures tables, and the two compatibility views dbt writes with the warehouse's catalog."""
    from dwh.publish import publish_snapshot
    from expectations.runner import RESULTS_DDL

    wh, snap = tmp_path / "w.duckdb", tmp_path / "snapshot"

    def write(value: int, failed: set[str], day: dt.date) -> None:
        with duckdb.connect(str(wh)) as con:
            for schema in ("audit", "marts", "figures"):
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            con.execute(RESULTS_DDL)
            con.execute("CREATE OR REPLACE VIEW figures.check_results AS SELECT * FROM w.audit.data_quality_results")
            con.execute("CREATE OR REPLACE TABLE marts.funding_daily AS SELECT ? AS v", [value])
            con.execute("CREATE OR REPLACE TABLE marts.liquidations_daily AS SELECT ? AS v", [value])
            con.execute("CREATE OR REPLACE TABLE figures.headline_figures AS SELECT ? AS v", [value])
            con.execute("CREATE OR REPLACE VIEW marts.headline_figures AS SELECT * FROM w.figures.headline_figures")
            con.execute("CREATE OR REPLACE VIEW marts.data_quality_results AS SELECT * FROM w.figures.check_results")
            for table, check in (("marts.liquidations_daily", "accepted_range_liquidations_daily_long_ratio"),
                                 ("figures.headline_figures", "expect_column_values_to_be_in_set:verification_status")):
                con.execute("INSERT INTO audit.data_quality_results VALUES (?, 'dbt', ?, ?, ?, '1 failing rows', "
                            "'error', now(), '{}')", [day, check, table, "failed" if table in failed else "passed"])

    def published() -> dict[str, int]:
        with duckdb.connect(str(snap / "marts.duckdb"), read_only=True) as con:
            return {f"{s}.{t}": con.execute(f"SELECT v FROM {s}.{t}").fetchone()[0] for s, t, kind in
                    con.execute("SELECT table_schema, table_name, table_type FROM information_schema.tables "
                                "WHERE table_name NOT IN ('data_quality_results', 'check_results')").fetchall()
                    if kind == "BASE TABLE"}

    day1, day2, day3 = DAY, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)
    write(1, failed={"marts.liquidations_daily"}, day=day1)  # never published before: left out, the rest goes
    publish_snapshot(wh, snap, run_date=day1)
    manifest = json.loads((snap / "manifest.json").read_text())
    # the compatibility view is published as a table, under the old name (schema main of catalog marts)
    assert published() == {"main.funding_daily": 1, "main.headline_figures": 1, "figures.headline_figures": 1}
    assert manifest["withheld"]["marts.liquidations_daily"]["kept_version"] is None
    assert "long_ratio (failed: 1 failing rows)" in manifest["withheld"]["marts.liquidations_daily"]["reason"]

    write(2, failed=set(), day=day2)
    publish_snapshot(wh, snap, run_date=day2)
    good = json.loads((snap / "manifest.json").read_text())
    assert good["withheld"] == {} and set(published().values()) == {2}
    assert {"marts.liquidations_daily", "marts.data_quality_results", "figures.headline_figures"} <= set(good["tables"])

    write(3, failed={"marts.liquidations_daily", "figures.headline_figures"}, day=day3)
    publish_snapshot(wh, snap, run_date=day3)
    held = json.loads((snap / "manifest.json").read_text())
    # the failed tables keep the copies that passed, the view under the old name with its table; the rest moves on
    assert published() == {"main.funding_daily": 3, "main.liquidations_daily": 2, "main.headline_figures": 2,
                           "figures.headline_figures": 2}
    assert held["withheld"]["marts.liquidations_daily"]["kept_version"] == good["version"]
    assert set(held["withheld"]) == {"marts.liquidations_daily", "figures.headline_figures", "marts.headline_figures"}
    with duckdb.connect(str(snap / "marts.duckdb"), read_only=True) as con:
        failed = con.execute("SELECT count(*) FROM marts.data_quality_results WHERE status = 'failed' AND run_date = ?",
                             [day3]).fetchone()[0]
    assert failed == 2  # the day's check results are published with it, under their old name


def test_nothing_enabled_stops_before_airflow_with_a_clear_message(tmp_path):
    path = _sources(tmp_path / "none.yml", {})
    env = dict(os.environ, DWH_SOURCES=str(path), DWH_DATA_DIR=str(tmp_path / "data"),
               AIRFLOW_HOME=str(tmp_path / "airflow"))
    proc = subprocess.run([sys.executable, "-m", "dwh.airflow_env", "run", "--date", DAY.isoformat()], cwd=PROJECT,
                          env=env, text=True, capture_output=True, timeout=120)
    assert proc.returncode != 0
    assert f"no source is enabled in {path}" in proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / "airflow" / "airflow.db").exists()  # refused before Airflow started


def test_the_pipeline_refuses_to_load_when_nothing_is_enabled(tmp_path, monkeypatch):
    from dwh import pipeline
    from ingest.config import ConfigError

    monkeypatch.setenv("DWH_SOURCES", str(_sources(tmp_path / "none.yml", {})))
    monkeypatch.setenv("DWH_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises((pipeline.NothingEnabled, ConfigError), match="enabled"):
        pipeline.load(DAY)
