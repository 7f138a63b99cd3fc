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
    assert unfed_reason("marts.liquidations_daily", onchain_only) == "no enabled source for liquidations"
    assert unfed_reason("marts.funding_daily", onchain_only) == "no enabled source for funding"
    assert unfed_reason("marts.prices_daily", onchain_only) == "no enabled source for prices"
    assert unfed_reason("raw.okx__funding_rates", onchain_only) == "source okx is not enabled"
    assert unfed_reason("marts.entity_holdings_daily", onchain_only) is None
    assert unfed_reason("marts.entity_flows_daily", onchain_only) is None
    assert unfed_reason("raw.ingest_runs", onchain_only) is None

    hyperliquid = _enabled(_sources(tmp_path / "b.yml", {"hyperliquid": True}))
    assert unfed_reason("marts.funding_daily", hyperliquid) is None
    assert unfed_reason("marts.open_interest_daily_total", hyperliquid) is None
    # Hyperliquid lists no options and publishes no liquidation feed the warehouse reads
    assert unfed_reason("marts.options_expiries_total", hyperliquid) == "no enabled source for options"
    assert unfed_reason("marts.liquidations_daily", hyperliquid) == "no enabled source for liquidations"
    assert unfed_reason("marts.entity_holdings_daily", hyperliquid) == "no enabled source for holdings"


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
        from dwh import pipeline

        pipeline.dbt_build(DAY, exclude=pipeline.VERIFICATION, unit_tests=False)
        yield data, db
    finally:
        if old is None:
            os.environ.pop("DWH_DATA_DIR", None)
        else:
            os.environ["DWH_DATA_DIR"] = old


def test_checks_skip_what_nothing_enabled_feeds_and_figures_say_why(empty_world, tmp_path):
    from dwh import pipeline
    from expectations.runner import run_suites
    from expectations.suite import load_suites

    data, db = empty_world
    enabled = _enabled(_sources(tmp_path / "s.yml", {"mempool_space": True}))
    suites = [s for s in load_suites() if s.name not in pipeline.FIGURE_SUITES]
    summary = run_suites(db, DAY, suites=suites, docs_dir=data / "docs", enabled=enabled)
    by_table: dict[str, set[tuple[str, str | None]]] = {}
    for r in summary.results:
        by_table.setdefault(r.table, set()).add((r.status, r.observed_value))
    for table in ("marts.funding_daily", "marts.liquidations_daily", "marts.options_expiries_total",
                  "marts.open_interest_daily_total", "marts.prices_daily"):
        domain = {"funding_daily": "funding", "liquidations_daily": "liquidations", "prices_daily": "prices",
                  "options_expiries_total": "options", "open_interest_daily_total": "open interest"}[table[6:]]
        assert by_table[table] == {("skipped", f"no enabled source for {domain}")}, table
    assert by_table["raw.okx__funding_rates"] == {("skipped", "source okx is not enabled")}
    # the holdings mart is fed (mempool_space is enabled): its checks run (its rows list the registry's
    # entities, unverified, even on a day no address answered)
    assert not any(status == "skipped" for status, _ in by_table["marts.entity_holdings_daily"])
    with duckdb.connect(str(db), read_only=True) as con:
        stored = dict(con.execute("""SELECT "table", any_value(observed_value) FROM marts.data_quality_results
                                     WHERE run_date = ? AND status = 'skipped' GROUP BY 1""", [DAY]).fetchall())
    assert stored["marts.liquidations_daily"] == "no enabled source for liquidations"

    pipeline.dbt_build(DAY, select=pipeline.VERIFICATION, unit_tests=False)
    with duckdb.connect(str(db), read_only=True) as con:
        figures = {(f, a): (v, s, r) for f, a, v, s, r in con.execute(
            "SELECT figure, asset, value, verification_status, reason FROM marts.headline_figures WHERE date = ?",
            [DAY]).fetchall()}
        rules = {r[0] for r in con.execute("SELECT figure FROM intermediate.int_figure_rules_parsed").fetchall()}
    assert {f for f, _ in figures} == rules  # every figure listed, none vanished
    assert all(v is None and s == "unverified" for v, s, _ in figures.values())
    funding = figures[("funding_annualized_oi_weighted", "ALL")][2]
    assert funding.startswith("no enabled source for funding: none of ") and f"was ingested for {DAY}" in funding
    # entity balances are listed per registry entity (no address answered: unverified), not as one stand-in
    assert ("entity_balance", "ALL") not in figures


def test_a_failed_check_withholds_its_mart_and_publishes_the_rest(tmp_path):
    from dwh.publish import publish_snapshot
    from expectations.runner import RESULTS_DDL

    wh, snap = tmp_path / "w.duckdb", tmp_path / "snapshot"

    def write(value: int, failed: bool, day: dt.date) -> None:
        with duckdb.connect(str(wh)) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            con.execute(RESULTS_DDL)
            con.execute("CREATE OR REPLACE TABLE marts.funding_daily AS SELECT ? AS v", [value])
            con.execute("CREATE OR REPLACE TABLE marts.liquidations_daily AS SELECT ? AS v", [value])
            con.execute("INSERT INTO marts.data_quality_results VALUES (?, 'marts.liquidations_daily', "
                        "'expect_column_values_to_be_between:long_ratio', 'marts.liquidations_daily', ?, '1 of 2 "
                        "unexpected', 'error', now(), '{}')", [day, "failed" if failed else "passed"])

    def published() -> dict[str, int]:
        with duckdb.connect(str(snap / "marts.duckdb"), read_only=True) as con:
            return {t: con.execute(f"SELECT v FROM main.{t}").fetchone()[0] for (t,) in
                    con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                                "AND table_name <> 'data_quality_results'").fetchall()}

    day1, day2 = DAY, DAY + dt.timedelta(days=1)
    write(1, failed=True, day=day1)  # never published before: left out, the rest goes
    publish_snapshot(wh, snap, run_date=day1)
    manifest = json.loads((snap / "manifest.json").read_text())
    assert published() == {"funding_daily": 1}
    assert manifest["withheld"]["marts.liquidations_daily"]["kept_version"] is None
    assert "long_ratio (failed: 1 of 2 unexpected)" in manifest["withheld"]["marts.liquidations_daily"]["reason"]

    write(2, failed=False, day=day2)
    publish_snapshot(wh, snap, run_date=day2)
    good = json.loads((snap / "manifest.json").read_text())
    assert published() == {"funding_daily": 2, "liquidations_daily": 2} and good["withheld"] == {}

    write(3, failed=True, day=day2 + dt.timedelta(days=1))
    publish_snapshot(wh, snap, run_date=day2 + dt.timedelta(days=1))
    held = json.loads((snap / "manifest.json").read_text())
    # the failed mart keeps the copy that passed; the other mart moves on
    assert published() == {"funding_daily": 3, "liquidations_daily": 2}
    assert held["withheld"]["marts.liquidations_daily"]["kept_version"] == good["version"]
    assert "marts.liquidations_daily" in held["tables"]


def test_nothing_enabled_stops_before_airflow_with_a_clear_message(tmp_path):
    path = _sources(tmp_path / "none.yml", {})
    env = dict(os.environ, DWH_SOURCES=str(path), DWH_DATA_DIR=str(tmp_path / "data"),
               AIRFLOW_HOME=str(tmp_path / "airflow"))
    proc = subprocess.run([sys.executable, "-m", "dwh.airflow_env", "run", "--date", DAY.isoformat()], cwd=PROJECT,
                          env=env, text=True, capture_output=True, timeout=120)
    assert proc.returncode != 0
    assert "no source is enabled" in proc.stderr or "enabled" in proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / "airflow" / "airflow.db").exists()  # refused before Airflow started


def test_the_pipeline_refuses_to_load_when_nothing_is_enabled(tmp_path, monkeypatch):
    from dwh import pipeline
    from ingest.config import ConfigError

    monkeypatch.setenv("DWH_SOURCES", str(_sources(tmp_path / "none.yml", {})))
    monkeypatch.setenv("DWH_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises((pipeline.NothingEnabled, ConfigError), match="enabled"):
        pipeline.load(DAY)


def test_every_mart_suite_names_its_domain():
    """A new mart suite must say which sources feed it, or a partial world would fail it on an empty table."""
    from expectations.runner import MART_DOMAINS
    from expectations.suite import load_suites

    from dwh.pipeline import FIGURE_SUITES

    marts = {s.table for s in load_suites() if s.table.startswith("marts.") and s.name not in FIGURE_SUITES}
    assert marts - set(MART_DOMAINS) == set()
