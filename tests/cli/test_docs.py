"""dbt docs: every mart and every mart column is described, and the exposures point at real marts."""
from __future__ import annotations

import json

import pytest

from dwh.dbt import DBT_DIR, run_dbt


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    # `make test` runs `dbt parse` first (make manifest); reuse that manifest when no model file is
    # newer, else parse into a private target so cosmos's target/manifest.json is left alone.
    built = DBT_DIR / "target" / "manifest.json"
    sources = [p for p in (DBT_DIR / "models").rglob("*") if p.is_file()] + [DBT_DIR / "dbt_project.yml"]
    if built.exists() and built.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
        return json.loads(built.read_text())
    target = tmp_path_factory.mktemp("dbt-target")
    run_dbt(["parse", "--quiet", "--target-path", str(target)])
    return json.loads((target / "manifest.json").read_text())


def _marts(manifest: dict) -> dict[str, dict]:
    return {n["name"]: n for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and n["fqn"][1:2] == ["marts"]}


def test_every_mart_and_column_is_described(manifest):
    marts = _marts(manifest)
    assert {"funding_daily", "funding_rates"} <= set(marts)
    missing = []
    for name, node in sorted(marts.items()):
        if not node["description"].strip():
            missing.append(f"{name}: no description")
        # Contracts make the yml column list the real column list, so "every documented column"
        # is "every column".
        assert node["config"]["contract"]["enforced"], f"{name}: contract not enforced"
        if not node["columns"]:
            missing.append(f"{name}: no columns documented")
        for col, spec in node["columns"].items():
            if not (spec.get("description") or "").strip():
                missing.append(f"{name}.{col}: no description")
    assert not missing, "\n".join(missing)


def test_exposures_depend_on_existing_marts(manifest):
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert {"daily_brief", "market_structure_dashboard"} <= set(exposures)
    # what BI and the brief may read: the marts and the published figures, never staging or intermediate
    marts = {n["unique_id"] for n in _marts(manifest).values()} | {
        n["unique_id"] for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["fqn"][1:2] == ["figures"] and n["config"]["contract"]["enforced"]}
    for exposure in exposures.values():
        assert exposure["description"].strip()
        deps = set(exposure["depends_on"]["nodes"])
        assert deps and deps <= marts, f"{exposure['name']} depends on unpublished models: {deps - marts}"
        assert "model.crypto_dwh.funding_daily" in deps
