"""config/tolerances.yml is the one place the verification rules live: complete, well-formed, and read by dbt
(not restated in SQL)."""
from __future__ import annotations

import re

import yaml

from ingest.config import load_sources
from tests.conftest import PROJECT

RULES = yaml.safe_load((PROJECT / "config" / "tolerances.yml").read_text())["families"]
REQUIRED = {"liquidations_total_usd", "long_liquidation_ratio", "long_liquidation_ratio_30d_avg",
            "funding_annualized_oi_weighted", "open_interest_usd", "open_interest_change_24h_pct",
            "options_next_expiry_oi", "options_next_expiry_notional_usd", "options_next_expiry_max_pain", "entity_balance"}
MODELS = PROJECT / "dbt_project" / "models"


def figures() -> dict[str, tuple[str, dict]]:
    return {name: (family, rule) for family, f in RULES.items() for name, rule in f["figures"].items()}


def test_every_headline_figure_has_rules():
    assert set(figures()) == REQUIRED


def test_rules_are_well_formed():
    for name, (_, rule) in figures().items():
        assert rule["unit"] and rule.get("label"), name
        assert 0 <= float(rule["tolerance"]) < 1 and float(rule["floor"]) >= 0, name
    for family, f in RULES.items():
        assert isinstance(f.get("expected"), list) and isinstance(f.get("references"), list), family
        assert f["inputs"] and all(re.fullmatch(r"(raw|marts|staging)\.[a-z0-9_%]+", p) for p in f["inputs"]), family


def test_expected_venues_and_references_are_configured_sources():
    known = load_sources(PROJECT / "config" / "sources.yml")
    for family, f in RULES.items():
        for name in f["expected"]:
            assert name in known and known[name].kind == "venue", (family, name)
        for name in f["references"]:
            assert name in known and known[name].kind == "aggregator", (family, name)


def test_each_family_has_its_intermediate_model_and_sql_holds_no_tolerance():
    mart = (MODELS / "figures" / "headline_figures.sql").read_text()
    for family in RULES:
        assert (MODELS / "figures" / f"figures_{family}.sql").exists(), family
        assert f"'{family}'" in mart, f"headline_figures does not union {family}"
    for path in (MODELS / "figures").glob("*.sql"):
        text = path.read_text()
        for _name, (_, rule) in figures().items():
            assert f"tolerance: {rule['tolerance']}" not in text
        assert "0.02" not in text and "0.05" not in text, f"{path.name}: a tolerance-like literal in SQL"
