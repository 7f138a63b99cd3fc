"""`dwh backfill` against the sandbox (through `python -m sandbox backfill`, which sets its clock per day):
progress, Ctrl-C after day 2, resume, same marts as one clean run."""
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
    return [sys.executable, "-m", "sandbox", "backfill", "--url", sandbox.url,
            "--start", START.isoformat(), "--end", END.isoformat(), "--source", ",".join(SOURCES),
            # only the venues are backfilled: the on-chain marts stay empty and fail their freshness checks
            "--no-check-gate"]


def _data_dir(tmp_path: Path, name: str, sandbox) -> tuple[Path, Path]:
    from sandbox.harness.process import sandbox_sources_file

    data = tmp_path / name
    data.mkdir()
    return data, sandbox_sources_file(sandbox.url, data / "sources.yml")


def _marts(snapshot: Path) -> dict[str, list[tuple]]:
    out = {}
    with duckdb.connect(str(snapshot), read_only=True) as con:
        # the marts (schema main in the snapshot) and the published figures (schema figures)
        for schema, table in con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                         "WHERE table_catalog = current_database() ORDER BY 1, 2").fetchall():
            cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                              "WHERE table_catalog = current_database() AND table_schema = ? "
                                              "AND table_name = ? ORDER BY ordinal_position",
                                              [schema, table]).fetchall()]
            keep = ", ".join(f'"{c}"' for c in cols if c not in VOLATILE)
            rows = con.execute(f'SELECT {keep} FROM "{schema}"."{table}"').fetchall()
            out[f"{schema}.{table}"] = sorted(rows, key=repr)
    return out


def _days_done(state: Path) -> list[dt.date]:
    return [day for day in DAYS if all((state / s / f"{day}.json").exists() for s in SOURCES)]


def test_backfill_interrupted_after_day_two_resumes_to_the_same_marts(sandbox, tmp_path):
    sandbox.clear_faults()
    data, sources = _data_dir(tmp_path, "interrupted", sandbox)
    env = _env(data, sources)
    state = data / "state" / "backfill"

    # Ctrl-C once day 2's markers are on disk: the markers are what a resume trusts, and unlike a
    # progress line on a pipe they cannot arrive after the child has already gone on to finish.
    out_file, err_file = tmp_path / "interrupted.out", tmp_path / "interrupted.err"
    with open(out_file, "w") as out, open(err_file, "w") as err:
        proc = subprocess.Popen(_args(sandbox), cwd=PROJECT, env=env, stdout=out, stderr=err, text=True)
        deadline = time.monotonic() + 600
        while len(_days_done(state)) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=300)
    first, first_err = out_file.read_text(), err_file.read_text()
    assert proc.returncode == 130, first + first_err
    # The signal lands while a later day is being ingested or the range is being built: the days done
    # before it are a prefix of the range, at least the two waited for, and never the whole of it
    # built and published.
    done = _days_done(state)
    assert done == DAYS[:len(done)] and len(done) >= 2, (done, first)
    for i, day in enumerate(done, 1):
        assert f"[{i}/{len(DAYS)}] {day} done" in first, first
    assert "interrupted" in first_err and "resume" in first_err
    assert not (data / "snapshot" / "marts.duckdb").exists(), "nothing was published yet"

    resumed = subprocess.run(_args(sandbox), cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    for i, day in enumerate(DAYS, 1):
        verdict = "skipped (already done)" if day in done else "done"
        assert f"[{i}/{len(DAYS)}] {day} {verdict}" in resumed.stdout, resumed.stdout
    assert f"{len(DAYS)}/{len(DAYS)}" in resumed.stdout, "the progress bar reached the end"
    assert f"{len(DAYS) - len(done)} days loaded, {len(done)} skipped" in resumed.stdout, resumed.stdout
    assert _days_done(state) == DAYS

    clean_data, clean_sources = _data_dir(tmp_path, "clean", sandbox)
    clean = subprocess.run(_args(sandbox), cwd=PROJECT, env=_env(clean_data, clean_sources), capture_output=True,
                           text=True, timeout=900)
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr[-3000:]

    resumed_marts = _marts(data / "snapshot" / "marts.duckdb")
    clean_marts = _marts(clean_data / "snapshot" / "marts.duckdb")
    assert set(resumed_marts) == set(clean_marts)
    assert resumed_marts["main.funding_daily"], "the backfill produced funding rows"
    assert {r[0] for r in resumed_marts["main.funding_daily"]} >= set(DAYS), "every backfilled day has funding"
    # The market marts must match exactly. The checks' results and the headline figures' labels are
    # judged when they run (snapshot-only endpoints observed at the sandbox's running clock), so two runs
    # minutes apart may label them differently.
    judged_at_run_time = {"main.data_quality_results", "main.headline_figures", "figures.headline_figures",
                          "figures.check_results", "figures.mart_check_results"}
    differing = [t for t in resumed_marts if t not in judged_at_run_time and resumed_marts[t] != clean_marts[t]]
    assert not differing, f"marts differ after resume: {differing}"
    assert len(set(resumed_marts) - judged_at_run_time) >= 5, sorted(resumed_marts)

    # a third call finds everything done and only rebuilds
    again = subprocess.run(_args(sandbox) + ["--no-build"], cwd=PROJECT, env=env, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0 and "0 days loaded, 5 skipped" in again.stdout, again.stdout + again.stderr
    marker = json.loads((state / SOURCES[0] / f"{DAYS[0]}.json").read_text())
    assert marker["source"] == SOURCES[0] and marker["date"] == DAYS[0].isoformat()
