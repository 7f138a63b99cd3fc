"""`make demo`'s warehouse, verification layer: headline figures with provenance and a status that follows
the rules, the squeeze-day brief, one quality-check row per expectation, Data Docs a browser can open."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
import yaml

from expectations.suite import load_suites
from sandbox.harness.demo import DEMO_END, DEMO_START
from tests.conftest import PROJECT

pytestmark = pytest.mark.slow
SQUEEZE = dt.date(2026, 11, 26)
FIGURES = {f for fam in yaml.safe_load((PROJECT / "config" / "tolerances.yml").read_text())["families"].values()
           for f in fam["figures"]}


def rows(con, sql, params=()):
    cur = con.execute(sql, list(params))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def test_every_figure_is_published_for_the_squeeze_day(demo_db):
    have = {r[0] for r in demo_db.execute("SELECT DISTINCT figure FROM marts.headline_figures WHERE date = ?",
                                          [SQUEEZE]).fetchall()}
    assert have == FIGURES
    days = demo_db.execute("SELECT count(DISTINCT date) FROM marts.headline_figures WHERE figure = 'open_interest_usd'"
                           ).fetchone()[0]
    assert days == (DEMO_END - DEMO_START).days + 1


def test_statuses_follow_the_rules(demo_db):
    # "verified means corroborated" and "a status other than verified has a reason" are the GX suite's
    # (expectations/suites/figures.headline_figures.yml); the rules below have no data test on the figures yet.
    for r in rows(demo_db, "SELECT * FROM marts.headline_figures"):
        status, key = r["verification_status"], (r["date"], r["figure"], r["asset"], r["entity"], r["reason"])
        if r["coverage"] is not None and r["coverage"] < 1 or r["value"] is None:
            assert status == "unverified", key
        if status == "verified" and r["max_deviation"] is not None:
            assert r["max_deviation"] <= r["tolerance"], key
        if status == "disputed" and r["entity"] is None:
            assert r["max_deviation"] > r["tolerance"] and "differs by" in r["reason"], key
        if status == "single_source" and r["entity"] is None:
            assert r["independent_sources"] == 1, key
        assert r["sources"] and r["source_count"] == len(r["sources"].split(",")), key


def test_aggregators_corroborate_the_venue_sums(demo_db):
    corroborated = demo_db.execute("""
        SELECT count(*) FROM marts.headline_figures
        WHERE date = ? AND figure IN ('open_interest_usd', 'liquidations_total_usd') AND compared_with = 'coinalyze,coinglass'
    """, [SQUEEZE]).fetchone()[0]
    assert corroborated >= 4, "both aggregators compared for BTC and ETH open interest and liquidations"


def test_a_figure_with_one_source_says_so(demo_dir, demo_db):
    single = rows(demo_db, "SELECT * FROM marts.headline_figures WHERE date = ? AND figure = 'options_next_expiry_max_pain'",
                  [SQUEEZE])
    assert single and all(r["verification_status"] == "single_source" and r["independent_sources"] == 1 for r in single)
    brief = (demo_dir / "reports" / "brief_2026-11-26.md").read_text()
    assert "max pain at $" in brief and "(single source" in brief.split("## Next option expiry", 1)[1].split("##")[0]


def expected_label(r) -> str:
    if r["verification_status"] == "verified":
        return f"verified by {r['independent_sources']} sources"
    return {"single_source": "single source", "disputed": "disputed", "unverified": "unverified"}[r["verification_status"]]


def test_squeeze_day_brief_sets_the_long_ratio_against_its_average_with_labels(demo_dir, demo_db):
    ratio, avg = (rows(demo_db, "SELECT * FROM marts.headline_figures WHERE date = ? AND figure = ? AND asset = 'ALL'",
                       [SQUEEZE, f])[0] for f in ("long_liquidation_ratio", "long_liquidation_ratio_30d_avg"))
    assert ratio["value"] > avg["value"], "the squeeze: longs far above their usual share"
    brief = (demo_dir / "reports" / "brief_2026-11-26.md").read_text()
    m = re.search(r"Longs were (\d+\.\d)% \((.+?)\) of it, against a 30-day average of (\d+\.\d)% \((.+?)\): "
                  r"(\d+\.\d) percentage points above it\.", brief)
    assert m, brief[:3000]
    assert float(m.group(1)) == pytest.approx(ratio["value"] * 100, abs=0.05)
    assert float(m.group(3)) == pytest.approx(avg["value"] * 100, abs=0.05)
    assert m.group(2).startswith(expected_label(ratio)) and m.group(4).startswith(expected_label(avg))
    assert float(m.group(5)) == pytest.approx((ratio["value"] - avg["value"]) * 100, abs=0.06)
    html = (demo_dir / "reports" / "brief_2026-11-26.html").read_text()
    assert html.count("<svg") >= 4 and "<script" not in html.lower()


def test_data_quality_results_hold_one_row_per_expectation(demo_db):
    """GX writes one row per expectation into audit; the public results (marts.data_quality_results, kept
    under its old name) add one row per dbt test of the marts."""
    expected = sum(len(c.kwargs["caps"]) if c.type == "caps_by_group" else 1 for s in load_suites() for c in s.checks)
    total, distinct = demo_db.execute("""SELECT count(*), count(DISTINCT (suite, expectation))
                                         FROM audit.data_quality_results WHERE run_date = ?""", [SQUEEZE]).fetchone()
    assert total == distinct == expected
    gx, dbt, distinct = demo_db.execute("""
        SELECT count(*) FILTER (WHERE suite <> 'dbt'), count(*) FILTER (WHERE suite = 'dbt'),
               count(DISTINCT (suite, expectation)) FROM marts.data_quality_results WHERE run_date = ?""",
                                        [SQUEEZE]).fetchone()
    assert gx == expected and dbt > 0 and distinct == gx + dbt


def test_source_freshness_was_recorded_for_the_run(demo_db):
    n = demo_db.execute("SELECT count(*) FROM audit.source_freshness WHERE run_date = ?", [SQUEEZE]).fetchone()[0]
    assert n > 0


def test_gx_data_docs_open_in_a_browser(demo_dir, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    # `make test` installs it (scripts/install_system_deps.sh): missing is a broken install, not a skip
    assert browser, "chromium not installed: run scripts/install_system_deps.sh"
    index = demo_dir / "reports" / "gx_docs" / "index.html"
    assert index.exists()
    proc = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={tmp_path / 'chromium'}", "--dump-dom", index.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert "<table" in dom and "figures.headline_figures" in dom, dom[:2000]
