"""dbt takes the pipeline's configuration as vars (dwh/dbt.py), never by reading the files itself."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

import dwh.dbt
from dwh.dbt import DBT_DIR, dbt_executable, mart_domains, project_vars, unfed_marts, with_project_vars
from ingest.config import PROJECT_ROOT


def _sources(tmp_path, disabled):
    doc = yaml.safe_load((PROJECT_ROOT / "config" / "sources.yml").read_text())
    for name in disabled:
        doc["sources"][name]["enabled"] = False
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path, doc


def test_liquidation_venues_follow_the_sources_file(tmp_path, monkeypatch):
    path, doc = _sources(tmp_path, {"okx"})
    monkeypatch.setenv("DWH_SOURCES", str(path))
    venues = project_vars()["liquidation_venues"]
    expected = {n: list(b["assets"]) for n, b in doc["sources"].items()
                if b.get("enabled", True) and b.get("liquidations")}
    assert venues == expected and "okx" not in venues and len(venues) >= 3


def test_vars_are_computed_once_per_version_of_the_sources_file(tmp_path, monkeypatch):
    """dbt is called many times a run: the sources file is validated once per version of its content,
    and a changed file is picked up by the next call, even with its old mtime."""
    path, doc = _sources(tmp_path, set())
    monkeypatch.setenv("DWH_SOURCES", str(path))
    calls = []
    real = dwh.dbt.enabled_sources
    monkeypatch.setattr(dwh.dbt, "enabled_sources", lambda: calls.append(1) or real())
    first = project_vars()
    first["liquidation_venues"].clear()  # a caller's change to its copy is not seen by the next caller
    assert "okx" in project_vars()["liquidation_venues"] and len(calls) == 1
    before = path.stat()
    doc["sources"]["okx"]["enabled"] = False
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # rewritten within one clock tick
    assert "okx" not in project_vars()["liquidation_venues"] and len(calls) == 2
    assert "okx" not in project_vars()["liquidation_venues"] and len(calls) == 2


def test_the_marts_are_listed_once_and_all_of_them():
    """dbt_project.yml's var mart_domains is the one list of the marts (figures.mart_check_results refers
    to each): every model under models/marts/ and nothing else, each in a domain the pipeline knows, so
    with no source enabled every mart is unfed, with its reason."""
    models = {p.stem for p in (DBT_DIR / "models" / "marts").rglob("*.sql")}
    assert set(mart_domains()) == models and len(models) >= 13
    unfed = unfed_marts([])
    assert set(unfed) == models
    assert unfed["entity_flows_daily"] == "no enabled source for flows"
    assert unfed["open_interest_daily"] == "no enabled source for open interest"


def test_figure_rules_follow_dwh_tolerances(tmp_path, monkeypatch):
    rules = {"families": {"funding": {"expected": ["bybit"], "references": [], "inputs": ["marts.funding_daily"],
                                      "figures": {"funding_annualized_oi_weighted": {"tolerance": 0.5}}}}}
    path = tmp_path / "tolerances.yml"
    path.write_text(yaml.safe_dump(rules))
    monkeypatch.setenv("DWH_TOLERANCES", str(path))
    assert project_vars()["figure_rules"] == rules["families"]


def test_callers_vars_are_kept_and_win(monkeypatch):
    args = with_project_vars(["build", "--vars", "{run_date: '2026-11-25', liquidation_venues: {bybit: [BTC]}}",
                              "--select", "x"])
    assert args[:3] == ["build", "--select", "x"] and args.count("--vars") == 1
    given = json.loads(args[args.index("--vars") + 1])
    assert given["run_date"] == "2026-11-25" and given["liquidation_venues"] == {"bybit": ["BTC"]}
    assert given["figure_rules"] == project_vars()["figure_rules"]
    assert with_project_vars(["deps"]) == ["deps"]


@pytest.mark.slow  # one dbt process: an end-to-end check, not a unit
def test_a_model_without_its_var_names_it(tmp_path):
    """dbt run directly, without dwh.dbt: the model that needs the configuration says which var to pass."""
    env = {"DWH_DATA_DIR": str(tmp_path), "DBT_PROFILES_DIR": str(DBT_DIR), "DBT_TARGET_PATH": str(tmp_path / "target"),
           "DBT_LOG_PATH": str(tmp_path / "logs"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([dbt_executable(), "compile", "--select", "liquidations_daily", "figure_rules",
                           "--vars", "{run_date: '2026-11-25'}", "--project-dir", str(DBT_DIR)],
                          cwd=DBT_DIR, env=env, text=True, capture_output=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "var liquidation_venues is not set" in out or "var figure_rules is not set" in out, out[-3000:]


@pytest.mark.slow  # one dbt process
def test_a_mart_left_off_the_list_stops_the_report(tmp_path):
    """figures.mart_check_results runs after the marts it refers to: one missing from mart_domains would be
    reported before its tests ran, so compiling the report names it instead."""
    kept = dict(list(mart_domains().items())[:-1])
    left_off = list(mart_domains())[-1]
    env = dict(os.environ, DWH_DATA_DIR=str(tmp_path), DBT_PROFILES_DIR=str(DBT_DIR),
               DBT_TARGET_PATH=str(tmp_path / "target"), DBT_LOG_PATH=str(tmp_path / "logs"))
    proc = subprocess.run([dbt_executable(), *with_project_vars(
        ["compile", "--select", "mart_check_results", "--vars", json.dumps({"run_date": "2026-11-25", "mart_domains": kept})]),
        "--project-dir", str(DBT_DIR)], cwd=DBT_DIR, env=env, text=True, capture_output=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"marts.{left_off} is not in the var mart_domains" in out, out[-3000:]
