"""The verification rules end to end, on two days run the way the DAG runs them (ingest, load, then
dwh.pipeline.run_after_load: source freshness, GX on raw, the one dbt build, GX on the figures, brief, publish):
- 2026-11-25 with OKX switched off: totals over venues turn 'unverified' and the reason names okx;
- 2026-11-26 with CoinGlass made to diverge 20 %: the figures it covers turn 'disputed', naming coinglass;
and audit.data_quality_results holds one row per GX expectation per run, a rerun replacing them."""
from __future__ import annotations

import datetime as dt
import os
import re
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest
import yaml

pytestmark = pytest.mark.slow
DAY1, DAY2 = dt.date(2026, 11, 25), dt.date(2026, 11, 26)


def sources_file(sandbox, path, disabled: set[str]):
    from sandbox.harness.process import sandbox_sources_file

    sandbox_sources_file(sandbox.url, path)
    doc = yaml.safe_load(path.read_text())
    for name, block in doc["sources"].items():
        # on-chain providers play no part here; leaving them out keeps the run short
        if name in disabled or block.get("kind") == "onchain":
            block["enabled"] = False
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run_day(sandbox, day: dt.date) -> None:
    from dwh import pipeline

    sandbox.set_clock(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 30), tzinfo=dt.UTC))
    names = pipeline.source_names()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda s: pipeline.ingest(s, day, raise_on_failure=False), names))
    pipeline.load(day)


@pytest.fixture(scope="module")
def warehouse(sandbox, tmp_path_factory):
    from dwh import pipeline

    data = tmp_path_factory.mktemp("scenarios") / "data"
    saved = {k: os.environ.get(k) for k in ("DWH_DATA_DIR", "DWH_SOURCES", "COINALYZE_API_KEY", "COINGLASS_API_KEY")}
    os.environ.update(DWH_DATA_DIR=str(data), COINALYZE_API_KEY="test-placeholder", COINGLASS_API_KEY="test-placeholder")
    try:
        sandbox.clear_faults()
        os.environ["DWH_SOURCES"] = str(sources_file(sandbox, data / "sources_day1.yml", {"okx"}))
        run_day(sandbox, DAY1)
        os.environ["DWH_SOURCES"] = str(sources_file(sandbox, data / "sources_day2.yml", set()))
        sandbox.set_aggregators({"coinglass": {"diverge": 0.2}})
        try:
            run_day(sandbox, DAY2)
        finally:
            sandbox.clear_aggregators()
        done = pipeline.run_after_load(DAY2)
        checks = len(done["validate"].results) + len(done["validate_figures"].results)
        yield {"data": data, "checks": checks, "brief": done["brief"]}
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def figures(warehouse, day, figure) -> dict[str, tuple]:
    with duckdb.connect(str(warehouse["data"] / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT asset, verification_status, reason, coverage_text, max_deviation FROM marts.headline_figures "
                           "WHERE date = ? AND figure = ? AND entity IS NULL", [day, figure]).fetchall()
    return {r[0]: r[1:] for r in rows}


@pytest.mark.parametrize("figure", ["open_interest_usd", "funding_annualized_oi_weighted"])
def test_a_disabled_venue_unverifies_the_totals_and_is_named(warehouse, figure):
    rows = figures(warehouse, DAY1, figure)
    assert set(rows) >= {"BTC", "ETH"}
    for asset, (status, reason, coverage, _) in rows.items():
        assert status == "unverified", (asset, status, reason)
        assert coverage == "5/6" and "missing: okx" in reason, (asset, reason)


@pytest.mark.parametrize("figure", ["open_interest_usd", "funding_annualized_oi_weighted"])
def test_a_diverging_aggregator_disputes_the_figure_and_is_named(warehouse, figure):
    rows = figures(warehouse, DAY2, figure)
    for asset in ("BTC", "ETH"):
        status, reason, coverage, deviation = rows[asset]
        assert coverage == "6/6"
        assert status == "disputed", (asset, status, reason)
        assert "coinglass differs by" in reason and "coinalyze" not in reason.split("coinglass differs")[0], reason
        assert deviation == pytest.approx(0.2, abs=0.02)


def test_the_other_aggregator_still_agrees(warehouse):
    with duckdb.connect(str(warehouse["data"] / "warehouse.duckdb"), read_only=True) as con:
        agree = con.execute("""SELECT count(*) FROM marts.headline_figures WHERE date = ? AND figure = 'open_interest_usd'
                               AND compared_with LIKE '%coinalyze%' AND reason NOT LIKE '%coinalyze differs%'""",
                            [DAY2]).fetchone()[0]
    assert agree == 3  # BTC, ETH, ALL


def test_liquidations_without_their_websocket_venues_are_unverified_naming_them(warehouse):
    for asset, (status, reason, coverage, _) in figures(warehouse, DAY2, "liquidations_total_usd").items():
        if coverage != "5/5":
            assert status == "unverified" and "missing:" in reason, (asset, reason)


def test_data_quality_results_hold_one_row_per_expectation_per_run(warehouse):
    from dwh import pipeline

    db = warehouse["data"] / "warehouse.duckdb"

    def counts():
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute("""SELECT count(*), count(DISTINCT (suite, expectation)) FROM audit.data_quality_results
                                  WHERE run_date = ?""", [DAY2]).fetchone()

    total, distinct = counts()
    assert total == distinct == warehouse["checks"] > 0
    pipeline.validate(DAY2, fail_on_error=False)  # a rerun replaces the run's rows, and only its suites'
    assert counts() == (total, distinct)


def test_the_brief_labels_the_disputed_and_unverified_figures(warehouse):
    text = warehouse["brief"].read_text()
    marks = re.findall(r"\(disputed \[(\d+)\]\)", text)
    assert marks, text
    caveats = text.split("## Caveats", 1)[1]
    # the disputed figures point to one numbered caveat naming the diverging reference and its figures
    cause = next(line for line in caveats.splitlines() if line.startswith(f"[{marks[0]}] "))
    assert "coinglass differs by" in cause and "Disputed: " in cause
    assert text.count(cause.split(". Disputed: ")[0]) == 1, "a cause is listed once"
