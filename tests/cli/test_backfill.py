"""`dwh backfill` against the sandbox: progress, Ctrl-C after day 2, resume, same marts as one clean run."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import PROJECT

pytestmark = pytest.mark.slow

START, END = dt.date(2026, 11, 16), dt.date(2026, 11, 20)
DAYS = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
SOURCES = ["binance", "bybit", "okx", "deribit", "bitmex", "hyperliquid"]
# Columns that record when something ran, not what the market did.
VOLATILE = {"checked_at", "details", "loaded_at", "published_at", "built_at", "run_id"}


def _env(data_dir: Path, sources_file: Path) -> dict[str, str]:
    return dict(os.environ, DWH_DATA_DIR=str(data_dir), DWH_SOURCES=str(sources_file), COLUMNS="120")


def _args(sandbox) -> list[str]:
    return [sys.executable, "-m", "dwh.cli", "backfill", "--start", START.isoformat(), "--end", END.isoformat(),
            "--source", ",".join(SOURCES), "--sandbox", sandbox.url,
            # only the venues are backfilled: the on-chain marts stay empty and fail their freshness checks
            "--no-check-gate"]


def _data_dir(tmp_path: Path, name: str, sandbox) -> tuple[Path, Path]:
    from dwh.sandbox_proc import sandbox_sources_file

    data = tmp_path / name
    data.mkdir()
    return data, sandbox_sources_file(sandbox.url, data / "sources.yml")


def _marts(snapshot: Path) -> dict[str, list[tuple]]:
    out = {}
    with duckdb.connect(str(snapshot), read_only=True) as con:
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables "
                                    "WHERE table_catalog = current_database() ORDER BY 1").fetchall():
            cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                              "WHERE table_catalog = current_database() AND table_name = ? "
                                              "ORDER BY ordinal_position", [table]).fetchall()]
            keep = ", ".join(f'"{c}"' for c in cols if c not in VOLATILE)
            rows = con.execute(f'SELECT {keep} FROM "{table}"').fetchall()
            out[table] = sorted(rows, key=repr)
    return out


def test_backfill_interrupted_after_day_two_resumes_to_the_same_marts(sandbox, tmp_path):
    sandbox.clear_faults()
    data, sources = _data_dir(tmp_path, "interrupted", sandbox)
    env = _env(data, sources)

    proc = subprocess.Popen(_args(sandbox), cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    seen = []
    deadline = time.time() + 300
    for line in proc.stdout:
        seen.append(line)
        if line.startswith(f"[2/{len(DAYS)}] {DAYS[1]} done"):
            proc.send_signal(signal.SIGINT)
            break
        assert time.time() < deadline, "".join(seen)
    out, err = proc.communicate(timeout=120)
    first = "".join(seen) + out
    assert proc.returncode == 130, first + err
    assert f"[1/{len(DAYS)}] {DAYS[0]} done" in first
    assert "interrupted" in err and "resume" in err
    state = data / "state" / "backfill"
    for day in DAYS[:2]:
        assert all((state / s / f"{day}.json").exists() for s in SOURCES), day
    assert not all((state / s / f"{DAYS[2]}.json").exists() for s in SOURCES), "day 3 was not finished"
    assert not (data / "snapshot" / "marts.duckdb").exists(), "nothing was built or published yet"

    resumed = subprocess.run(_args(sandbox), cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    for i, day in enumerate(DAYS, 1):
        verdict = "skipped (already done)" if i <= 2 else "done"
        assert f"[{i}/{len(DAYS)}] {day} {verdict}" in resumed.stdout, resumed.stdout
    assert f"{len(DAYS)}/{len(DAYS)}" in resumed.stdout, "the progress bar reached the end"
    assert "3 days loaded, 2 skipped" in resumed.stdout
    for day in DAYS:
        assert all((state / s / f"{day}.json").exists() for s in SOURCES), day

    clean_data, clean_sources = _data_dir(tmp_path, "clean", sandbox)
    clean = subprocess.run(_args(sandbox), cwd=PROJECT, env=_env(clean_data, clean_sources), capture_output=True,
                           text=True, timeout=900)
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr[-3000:]

    resumed_marts = _marts(data / "snapshot" / "marts.duckdb")
    clean_marts = _marts(clean_data / "snapshot" / "marts.duckdb")
    assert set(resumed_marts) == set(clean_marts)
    assert resumed_marts["funding_daily"], "the backfill produced funding rows"
    assert {r[0] for r in resumed_marts["funding_daily"]} >= set(DAYS), "every backfilled day has funding"
    # The market marts must match exactly. The checks' results and the headline figures' labels are
    # judged when they run (freshness against the wall clock, snapshot-only endpoints observed at the
    # sandbox's running clock), so two runs minutes apart may label them differently.
    judged_at_run_time = {"data_quality_results", "headline_figures"}
    differing = [t for t in resumed_marts if t not in judged_at_run_time and resumed_marts[t] != clean_marts[t]]
    assert not differing, f"marts differ after resume: {differing}"
    assert len(set(resumed_marts) - judged_at_run_time) >= 5, sorted(resumed_marts)

    # a third call finds everything done and only rebuilds
    again = subprocess.run(_args(sandbox) + ["--no-build"], cwd=PROJECT, env=env, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0 and "0 days loaded, 5 skipped" in again.stdout, again.stdout + again.stderr
    marker = json.loads((state / SOURCES[0] / f"{DAYS[0]}.json").read_text())
    assert marker["source"] == SOURCES[0] and marker["date"] == DAYS[0].isoformat()
