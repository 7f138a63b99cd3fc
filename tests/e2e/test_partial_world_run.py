"""The daily run (`dwh run`, the DAG's steps in the DAG's order) against the sandbox with only part of the
sources enabled: each run publishes a snapshot and a brief, and every domain no enabled source feeds is
labelled with its reason (docs/verification.md, "A partial world"). Sources are narrowed to BTC and a few
entities so the three runs stay within a few minutes; nothing enabled is refused before the run starts
(tests/verification/test_partial_world.py). The steps run directly, not through Airflow: the suite's one
`airflow dags test` is tests/e2e/test_airflow_dag.py, and what a partial world changes is in the steps,
not in the scheduling."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import PROJECT

pytestmark = pytest.mark.slow
DAY = "2026-11-24"
ENTITIES = {"bitcoin": ["El Salvador"], "ethereum": ["Ethereum Foundation"], "tron": ["BitMEX"]}


def run_day(data: Path, sandbox, enabled) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One `dwh run` of D with the sources `enabled(name, kind)` picks, narrowed to BTC and few entities."""
    from sandbox.harness.process import sandbox_sources_file

    data.mkdir(parents=True, exist_ok=True)
    path = sandbox_sources_file(sandbox.url, data / "sources.yml")
    doc = yaml.safe_load(path.read_text())
    for name, block in doc["sources"].items():
        kind = block.get("kind", "venue")
        block["enabled"] = enabled(name, kind)
        if kind in ("venue", "aggregator"):
            block["assets"] = ["BTC"]
        if kind == "onchain" and block.get("chain") in ENTITIES:
            block["entities"] = ENTITIES[block["chain"]]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    sandbox.set_clock(dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.UTC))
    env = dict(os.environ, DWH_DATA_DIR=str(data), DWH_SOURCES=str(path),
               COINALYZE_API_KEY="placeholder", COINGLASS_API_KEY="placeholder")
    # as the DAG does: a failed check withholds the mart it guards and the rest publishes
    proc = subprocess.run([sys.executable, "-m", "dwh.cli", "run", "--date", DAY, "--no-check-gate"], cwd=PROJECT,
                          env=env, text=True, capture_output=True, timeout=900)
    (data / "run_output.txt").write_text(proc.stdout + proc.stderr)
    return proc, data / "warehouse.duckdb"


def published(data: Path) -> dict:
    """What the run left for readers: the snapshot's manifest and the brief."""
    assert (data / "snapshot" / "marts.duckdb").exists()
    brief = data / "reports" / f"brief_{DAY}.md"
    assert brief.exists()
    return {"manifest": json.loads((data / "snapshot" / "manifest.json").read_text()), "brief": brief.read_text()}


def figures(db: Path) -> dict[tuple[str, str, str | None], tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {(f, a, e): (v, s, r) for f, a, e, v, s, r in con.execute(
            "SELECT figure, asset, entity, value, verification_status, reason FROM marts.headline_figures "
            "WHERE date = ?", [DAY]).fetchall()}


def skipped(db: Path) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("""SELECT "table", any_value(observed_value) FROM marts.data_quality_results
                                   WHERE run_date = ? AND status = 'skipped' GROUP BY 1""", [DAY]).fetchall())


def test_venues_only(tmp_path, sandbox):
    proc, db = run_day(tmp_path / "venues", sandbox, lambda name, kind: kind == "venue")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    out = published(tmp_path / "venues")
    figs = figures(db)
    value, status, reason = figs[("entity_balance", "ALL", None)]
    assert value is None and status == "unverified" and reason.startswith("no enabled source for holdings")
    assert skipped(db)["marts.entity_holdings_daily"] == "no enabled source for holdings"
    funding = figs[("funding_annualized_oi_weighted", "BTC", None)]
    assert funding[0] is not None, funding
    assert "no enabled source for holdings" in out["brief"]
    assert "marts.funding_daily" in out["manifest"]["tables"]


def test_onchain_only_publishes_balances_in_coins(tmp_path, sandbox):
    proc, db = run_day(tmp_path / "onchain", sandbox, lambda name, kind: kind == "onchain")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    out = published(tmp_path / "onchain")
    figs = figures(db)
    for figure in ("funding_annualized_oi_weighted", "liquidations_total_usd", "open_interest_usd"):
        value, status, reason = figs[(figure, "BTC", None)]
        assert value is None and status == "unverified" and reason.startswith("no enabled source for "), reason
    assert any(f == "entity_balance" and v is not None for (f, _, _), (v, _, _) in figs.items())
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT balance, usd_value, usd_value_reason FROM marts.entity_holdings_daily "
                           "WHERE date = ? AND asset = 'BTC' AND balance IS NOT NULL", [DAY]).fetchall()
    assert rows and all(usd is None and why.startswith("no enabled price source") for _, usd, why in rows)
    assert skipped(db)["marts.funding_daily"] == "no enabled source for funding"
    assert "no enabled source for funding" in out["brief"]
    assert "marts.entity_holdings_daily" in out["manifest"]["tables"]


def test_one_venue(tmp_path, sandbox):
    """Deribit alone: its figures have values but cover one venue of the expected ones; what it does not feed
    (entity holdings) is labelled, and the other venues' checks are skipped."""
    proc, db = run_day(tmp_path / "deribit", sandbox, lambda name, kind: name == "deribit")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    out = published(tmp_path / "deribit")
    figs = figures(db)
    for figure, coverage in (("open_interest_usd", "coverage 1/6"), ("liquidations_total_usd", "coverage ")):
        value, status, reason = figs[(figure, "BTC", None)]
        assert status == "unverified" and coverage in reason, (figure, value, reason)
    oi = figs[("open_interest_usd", "BTC", None)]
    assert oi[0] is not None, oi
    holdings = figs[("entity_balance", "ALL", None)]
    assert holdings[0] is None and holdings[2].startswith("no enabled source for holdings"), holdings
    gaps = skipped(db)
    assert gaps["marts.entity_holdings_daily"] == "no enabled source for holdings"
    assert gaps["raw.okx__funding_rates"] == "source okx is not enabled"
    assert "marts.options_expiries_total" not in gaps  # Deribit lists options
    with duckdb.connect(str(db), read_only=True) as con:
        days = con.execute("SELECT exchanges_reporting, exchanges_expected, is_complete_day FROM marts.funding_daily "
                           "WHERE date = ? AND exchange = 'deribit'", [DAY]).fetchall()
    assert days == [(1, 1, True)]  # the one venue that ran reported: a complete day of what was enabled
    assert "no enabled source for holdings" in out["brief"]
