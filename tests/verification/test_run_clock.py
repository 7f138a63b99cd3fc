"""The run's clock: one day's figures and brief do not depend on when they are built.

Day D is ingested and loaded once, as the run at D+1 00:40 would (the sandbox answers as the venues did
at D+1 00:30). The same landed data is then modelled, checked, verified and briefed twice, by the real
`dwh` command in subprocesses whose wall clock libfaketime sets: minutes after the close, and a year
later (a rebuild or a backfill a year late). Both must publish byte-identical headline figures and
briefs; measured against the wall clock, the year-late build called every input 8,700 hours stale.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from sandbox.harness.process import sandbox_sources_file
from tests.conftest import PROJECT

pytestmark = pytest.mark.slow  # a backfill of a sandbox day, then two builds of it
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
SHIM = Path(__file__).resolve().parent / "faketime_shim"
DAY = dt.date(2026, 11, 26)
# every venue and both references (the on-chain providers add minutes and nothing to the clock's case)
SOURCES = "binance,bybit,okx,deribit,bitmex,hyperliquid,coinalyze,coinglass"
ON_TIME = "2026-11-27 00:40:00"
A_YEAR_LATE = "2027-11-29 15:05:00"


def offset(wall_clock: str) -> str:
    """libfaketime's relative form: the clock runs, and every process the run starts (dbt) shares it."""
    target = dt.datetime.fromisoformat(wall_clock).replace(tzinfo=dt.UTC)
    return f"{round((target - dt.datetime.now(dt.UTC)).total_seconds()):+d}"


def start_dwh(wall_clock: str, data_dir: Path, sources_file: Path, *args: str) -> subprocess.Popen[str]:
    assert LIBFAKETIME.exists(), f"{LIBFAKETIME} missing: scripts/install_system_deps.sh installs libfaketime"
    env = dict(os.environ, DWH_DATA_DIR=str(data_dir), DWH_SOURCES=str(sources_file),
               COINALYZE_API_KEY="test-placeholder", COINGLASS_API_KEY="test-placeholder",
               LD_PRELOAD=str(LIBFAKETIME), FAKETIME=offset(wall_clock), TZ="UTC",
               # only the wall clock is under test; why the monotonic one stays real: faketime_shim/
               FAKETIME_DONT_FAKE_MONOTONIC="1",
               PYTHONPATH=os.pathsep.join(p for p in (str(SHIM), os.environ.get("PYTHONPATH")) if p))
    return subprocess.Popen([sys.executable, "-m", "dwh.cli", *args], cwd=PROJECT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(proc: subprocess.Popen[str], wall_clock: str) -> None:
    try:
        out, _ = proc.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    assert proc.returncode == 0, f"dwh {' '.join(proc.args[3:])} at {wall_clock}:\n{out[-4000:]}"


def figures(data_dir: Path) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT * FROM marts.headline_figures WHERE date = ? ORDER BY ALL", [DAY]).fetchall()


def freshness(data_dir: Path) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT table_name, status, max_loaded_at, snapshotted_at, age_hours "
                           "FROM audit.source_freshness WHERE run_date = ? ORDER BY ALL", [DAY]).fetchall()


def digest(obj) -> str:
    return hashlib.sha256(repr(obj).encode()).hexdigest()


@pytest.fixture(scope="module")
def built(sb, tmp_path_factory):
    """D landed once on time, then built on time (dir a) and a year later (dir b)."""
    root = tmp_path_factory.mktemp("run_clock")
    sources_file = sandbox_sources_file(sb.url, root / "sources.yml")
    doc = yaml.safe_load(sources_file.read_text())
    doc["sources"] = {k: v for k, v in doc["sources"].items() if k in SOURCES.split(",")}
    sources_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    sb.set_clock(dt.datetime(2026, 11, 27, 0, 30, tzinfo=dt.UTC))
    on_time, late = root / "a", root / "b"
    finish(start_dwh(ON_TIME, on_time, sources_file, "backfill", "--start", DAY.isoformat(), "--end",
                     DAY.isoformat(), "--source", SOURCES, "--no-build"), ON_TIME)
    shutil.copytree(on_time, late)
    # the day is recorded as done: these only build, check, verify, brief and publish (two warehouses at once)
    build = ("backfill", "--start", DAY.isoformat(), "--end", DAY.isoformat(), "--source", SOURCES, "--no-check-gate")
    runs = [(start_dwh(clock, where, sources_file, *build), clock)
            for clock, where in (("2026-11-27 00:45:00", on_time), (A_YEAR_LATE, late))]
    for proc, clock in runs:
        finish(proc, clock)
    return on_time, late


def test_headline_figures_and_brief_do_not_depend_on_the_wall_clock(built):
    on_time, late = built
    rows = figures(on_time)
    assert rows, "no headline figures for the day"
    assert digest(figures(late)) == digest(rows)
    brief = f"reports/brief_{DAY.isoformat()}.md"
    assert (late / brief).read_bytes() == (on_time / brief).read_bytes()
    assert (late / brief.replace(".md", ".html")).read_bytes() == (on_time / brief.replace(".md", ".html")).read_bytes()


def test_freshness_is_measured_against_the_runs_reference_instant(built):
    on_time, late = built
    verdicts = freshness(late)
    assert verdicts == freshness(on_time)
    # tables D's runs never wrote to (no collector here: the websocket tables) dbt reports as loaded in year 1
    judged = [v for v in verdicts if v[1] in ("pass", "warn") and v[2].year > 1]
    assert judged, verdicts
    reference = dt.datetime(2026, 11, 27, 0, 30, tzinfo=dt.UTC)
    assert {v[3].astimezone(dt.UTC) for v in judged} == {reference}
    # D's own data was landed: nothing the venues answered for D is stale on D's clock
    assert [v for v in judged if v[1] == "warn"] == []
    with duckdb.connect(str(late / "warehouse.duckdb"), read_only=True) as con:
        reasons = [r[0] for r in con.execute("SELECT reason FROM marts.headline_figures WHERE date = ?",
                                             [DAY]).fetchall() if r[0]]
    assert not [r for r in reasons if "stale input" in r], reasons
