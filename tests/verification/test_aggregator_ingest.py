"""Coinalyze and CoinGlass ingest: markets found through the aggregator's own listings, one UTC day landed
and loaded, the key sent in the configured header, and no run at all without a key (the manifest says why)."""
from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from ingest.load import load_day
from ingest.run import ingest_source
from ingest.venues import datasets_for
from sandbox import market as mk
from sandbox.harness.process import sandbox_sources_file
from tests.conftest import PROJECT

DAY = dt.date(2026, 11, 26)


@pytest.fixture()
def sources(sb, tmp_path, monkeypatch) -> Path:
    path = sandbox_sources_file(sb.url, tmp_path / "sources.yml")
    monkeypatch.setenv("DWH_SOURCES", str(path))
    monkeypatch.setenv("DWH_DATA_DIR", str(tmp_path / "data"))
    return path


def ingest_and_load(name: str, root: Path) -> tuple[dict, duckdb.DuckDBPyConnection]:
    manifest = ingest_source(name, DAY, root=root)
    con = duckdb.connect(str(root / "w.duckdb"))
    load_day(con, root, DAY, {name: datasets_for(name)})
    return manifest, con


def test_coinalyze_day_lands_and_loads(sources, aggregator_keys, tmp_path):
    manifest, con = ingest_and_load("coinalyze", tmp_path / "data")
    assert {d: v["status"] for d, v in manifest["datasets"].items()} == {
        "exchanges": "ok", "future_markets": "ok", "liquidation_history": "ok", "open_interest_history": "ok",
        "funding_rate_history": "ok"}
    assert sorted(manifest["datasets"]["liquidation_history"]["notes"]["markets"].values()) == sorted(
        f"{v}:{a}" for v in mk.PERP_VENUES for a in ("BTC", "ETH"))
    total = con.execute("SELECT sum(long_usd + short_usd) FROM raw.coinalyze__liquidation_history").fetchone()[0]
    assert total == pytest.approx(mk.liquidation_summary(7, DAY)["total_usd"], rel=1e-9)
    assert con.execute("SELECT count(*) FROM raw.coinalyze__funding_rate_history").fetchone()[0] == 12 * 24
    assert con.execute("SELECT count(*) FROM raw.quarantine").fetchone()[0] == 0


def test_coinglass_day_lands_and_loads(sources, aggregator_keys, tmp_path):
    manifest, con = ingest_and_load("coinglass", tmp_path / "data")
    assert all(v["status"] == "ok" for v in manifest["datasets"].values()), manifest
    rows = con.execute("SELECT symbol, exchange_list, long_usd + short_usd FROM raw.coinglass__liquidation_history "
                       "ORDER BY symbol").fetchall()
    assert [r[0] for r in rows] == ["BTC", "ETH"]
    assert rows[0][1] == "Binance,Bybit,OKX,Deribit,Bitmex"  # the venues configured for liquidations
    btc = sum(e.usd for v in mk.LIQUIDATION_VENUES for e in mk.liquidations(7, v, "BTC", DAY))
    assert rows[0][2] == pytest.approx(btc, rel=1e-9)
    assert con.execute("SELECT count(*) FROM raw.coinglass__funding_oi_weighted").fetchone()[0] == 48


def test_without_a_key_the_runner_skips_and_says_why(sources, monkeypatch, tmp_path):
    monkeypatch.delenv("COINALYZE_API_KEY", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_DWH_COINALYZE", raising=False)
    manifest = ingest_source("coinalyze", DAY, root=tmp_path / "data")  # does not raise
    statuses = {v["status"] for v in manifest["datasets"].values()}
    assert statuses == {"skipped"}
    assert all("COINALYZE_API_KEY" in v["error"] for v in manifest["datasets"].values())
    assert not (tmp_path / "data" / "landing" / "source=coinalyze").exists(), "nothing was asked"


def test_a_wrong_key_header_is_a_failed_dataset(sources, monkeypatch, tmp_path):
    import yaml

    doc = yaml.safe_load(sources.read_text())
    doc["sources"]["coinglass"]["api_key_header"] = "X-Not-The-Key"
    sources.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("COINGLASS_API_KEY", "test-placeholder")
    manifest = ingest_source("coinglass", DAY, root=tmp_path / "data", raise_on_failure=False)
    assert {v["status"] for v in manifest["datasets"].values()} == {"failed"}
    assert "401" in manifest["datasets"]["open_interest_history"]["error"]


def test_aggregator_modules_never_import_the_sandbox():
    venues = PROJECT / "ingest" / "venues"
    for name in (*(venues / "coinalyze").glob("*.py"), *(venues / "coinglass").glob("*.py"), venues / "_perps.py"):
        tree = ast.parse(name.read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any(m.startswith("sandbox") for m in imported), (name, imported)
