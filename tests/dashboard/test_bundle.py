"""The dashboard's Superset bundle (dashboard/bundle/) imported into a real Superset home, against a real snapshot."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import PROJECT
from tests.dashboard.conftest import DASH_PY, publish_small_snapshot

pytestmark = pytest.mark.slow

APP = PROJECT / "dashboard" / "superset_app.py"
PROBE = Path(__file__).with_name("_superset_probe.py")
BUNDLE = PROJECT / "dashboard" / "bundle"
# the small snapshot holds funding_daily and data_quality_results: these charts read a mart it lacks
ABSENT = {"Headline figures, latest day (with verification)": "headline_figures",
          "BTC liquidations: long share vs its 30-day average": "liquidations_daily",
          "ETH liquidations: long share vs its 30-day average": "liquidations_daily",
          "Options expiry calendar (latest snapshot)": "options_expiries_total",
          "Entity holdings, latest day": "entity_holdings_daily"}


def _dash(*args: str, home: Path, snapshot: Path) -> dict:
    if not DASH_PY.exists():
        pytest.fail("dashboard/.venv (Superset) missing: run `make dashboard-install`")
    env = dict(os.environ, DWH_SUPERSET_HOME=str(home), DWH_SNAPSHOT=str(snapshot),
               DWH_DATA_DIR=str(snapshot.parent.parent))
    proc = subprocess.run([str(DASH_PY), *args], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout[proc.stdout.index("{"):])


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict:
    data = tmp_path_factory.mktemp("bundle") / "data"
    data.mkdir()
    snapshot = publish_small_snapshot(data)
    home = data / "superset"
    runs = []
    for _ in range(2):
        info = _dash(str(APP), "provision", home=home, snapshot=snapshot)
        runs.append((info, _dash(str(PROBE), "objects", home=home, snapshot=snapshot)))
    return {"data": data, "home": home, "snapshot": snapshot, "runs": runs}


def _bundle_charts() -> set[str]:
    return {yaml.safe_load(p.read_text())["slice_name"] for p in (BUNDLE / "charts").glob("*.yaml")}


def test_importing_the_bundle_twice_gives_the_same_objects(imported):
    (first_info, first), (second_info, second) = imported["runs"]
    assert first == second, "the second import overwrote in place: same rows, same ids, same content"
    assert first_info["charts"] == second_info["charts"]
    assert [d[2] for d in first["databases"]] == ["warehouse snapshot"]
    assert first["databases"][0][3] == f"duckdb:///{imported['snapshot']}"
    assert [d[2] for d in first["dashboards"]] == ["market-structure"]
    charts = {c[2]: c[0] for c in first["charts"]}
    assert set(charts) == set(first_info["charts"]) == _bundle_charts() - set(ABSENT)
    dash_id = first["dashboards"][0][0]
    assert first["dashboard_slices"] == sorted([dash_id, i] for i in charts.values())


def test_charts_of_marts_not_in_the_snapshot_are_left_out_whole(imported):
    info, objects = imported["runs"][-1]
    assert set(info["left_out"]) == set(ABSENT)
    for chart, mart in ABSENT.items():
        assert mart in info["left_out"][chart], info["left_out"][chart]
    position = json.loads(objects["dashboards"][0][3])
    on_layout = {n["meta"]["uuid"] for n in position.values() if isinstance(n, dict) and n.get("type") == "CHART"}
    assert on_layout == {c[1] for c in objects["charts"]}, "no empty slot left where a chart was taken out"
    rows = [n for n in position.values() if isinstance(n, dict) and n.get("type") == "ROW"]
    assert rows and all(r["children"] for r in rows), "rows that held only left-out charts are gone"


def _funding(snapshot: Path, asset: str) -> dict[tuple[str, str], float]:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return {(day, exchange): rate for day, exchange, rate in con.execute(
            """SELECT strftime(date, '%Y-%m-%d'), exchange, annualized_rate FROM marts.funding_daily
               WHERE asset = ?""", [asset]).fetchall()}


def _chart_funding(result: dict) -> dict[tuple[str, str], float]:
    return {(r["date"][:10], r["exchange"]): r["annualized funding"] for r in result["rows"]}


def test_every_chart_queries_the_snapshot_at_view_time(imported):
    snapshot, home = imported["snapshot"], imported["home"]
    before = _dash(str(PROBE), "query", home=home, snapshot=snapshot)
    assert set(before) == set(imported["runs"][-1][0]["charts"])
    assert {r["uri"] for r in before.values()} == {f"duckdb:///{snapshot}"}
    assert all(r["rows"] for r in before.values()), "every chart draws rows from the snapshot"
    for asset in ("BTC", "ETH"):
        assert _chart_funding(before[f"{asset} funding by venue over time (annualized)"]) == pytest.approx(
            _funding(snapshot, asset))
    failing = before["Failing checks, latest run"]["rows"]
    assert [r["expectation"] for r in failing] == ["expect_column_values_to_be_between"]

    publish_small_snapshot(imported["data"], version=1)  # a new publish, no new provision
    after = _dash(str(PROBE), "query", home=home, snapshot=snapshot)
    btc = _chart_funding(after["BTC funding by venue over time (annualized)"])
    assert btc == pytest.approx(_funding(snapshot, "BTC"))
    assert btc != _chart_funding(before["BTC funding by venue over time (annualized)"]), "the new figures are shown"
    (day, exchange), rate = max(_funding(snapshot, "BTC").items())
    latest = after["Funding by venue, latest day"]["rows"]
    row = next(r for r in latest if r["asset"] == "BTC" and r["exchange"] == exchange)
    assert (row["date"][:10], row["annualized"]) == (day, f"{rate * 100:+.2f}%")


def test_a_moved_snapshot_reaches_an_existing_home(imported, tmp_path):
    """Re-import overwrites the database too (ImportAssetsCommand), so the URI follows the snapshot."""
    moved = tmp_path / "elsewhere" / "snapshot" / "marts.duckdb"
    moved.parent.mkdir(parents=True)
    shutil.copyfile(imported["snapshot"], moved)
    _dash(str(APP), "provision", home=imported["home"], snapshot=moved)
    objects = _dash(str(PROBE), "objects", home=imported["home"], snapshot=moved)
    assert objects["databases"][0][3] == f"duckdb:///{moved}"
    first = imported["runs"][0][1]
    assert [c[:3] for c in objects["charts"]] == [c[:3] for c in first["charts"]]
    assert objects["dashboard_slices"] == first["dashboard_slices"]


def test_export_refuses_a_home_that_lacks_charts(imported, tmp_path):
    """An export from a home missing charts (their marts unpublished) would delete them from the bundle."""
    env = dict(os.environ, DWH_SUPERSET_HOME=str(imported["home"]), DWH_SNAPSHOT=str(imported["snapshot"]))
    proc = subprocess.run([str(DASH_PY), str(APP), "export", "--to", str(tmp_path)], env=env, cwd=PROJECT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "holding every mart" in proc.stderr and "liquidations_daily" in proc.stderr
    assert not list(tmp_path.rglob("*.yaml"))
