"""`python -m bench.dag_ratio`: the daily DAG through Airflow against the same steps run directly.

One sandbox day with every source of config/sandbox.yml, each run in a fresh data dir against the same
sandbox (its clock at D+1 00:30): `dwh run --date D --airflow` (`airflow dags test`, as `make run`) and
`dwh run --date D` (the same dwh.pipeline steps in one process), alternated so that a busy machine slows
both alike. Airflow's metadata DB is migrated before the clock starts (once per installation, not per run).
Besides the wall time of each run it records the dbt build alone: the `dbt_build` task's duration from
Airflow's task instances, and the direct run's `dbt build done (N s)` line.

Writes $DWH_DATA_DIR/reports/dag_ratio.json: {date, machine, airflow_s, direct_s, ratio, runs, dbt_build_s}
(airflow_s and direct_s are medians; make bench reads the file as P5, goal <= 1.3).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess  # argument lists only, never a shell  # nosec B404
import sys
import time
from pathlib import Path
from typing import Any

from ingest.config import PROJECT_ROOT, data_dir

DAY = dt.date(2026, 11, 24)
GOAL = 1.3


def _env(data: Path, sources: Path) -> dict[str, str]:
    env = dict(os.environ, DWH_DATA_DIR=str(data), DWH_SOURCES=str(sources), AIRFLOW_HOME=str(data / "airflow"))
    env.pop("DBT_TARGET_PATH", None)  # each data dir its own dbt target (dwh/dbt.py)
    # the sandbox's aggregators accept any key; with one they are ingested like the venues
    for name in ("COINALYZE_API_KEY", "COINGLASS_API_KEY"):
        env.setdefault(name, "sandbox-placeholder")
    return env


def _dwh(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "dwh.cli", *args], cwd=PROJECT_ROOT, env=env, text=True,  # nosec B603
                          capture_output=True, timeout=3600)
    seconds = time.monotonic() - started
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError(f"dwh {' '.join(args)} exited {proc.returncode}:\n{out[-4000:]}")
    return seconds, out


def _airflow_dbt_seconds(home: Path) -> float | None:
    with sqlite3.connect(home / "airflow.db") as db:
        row = db.execute("SELECT duration FROM task_instance WHERE dag_id = 'crypto_market_daily' "
                         "AND task_id = 'dbt_build'").fetchone()
    return round(row[0], 1) if row and row[0] is not None else None


def run_once(mode: str, index: int, root: Path, sandbox) -> dict[str, Any]:
    from sandbox.harness.process import sandbox_sources_file

    data = root / f"{mode}-{index}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env = _env(data, sandbox_sources_file(sandbox.url, data / "sources.yml"))
    sandbox.clear_faults()
    sandbox.set_clock(dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(0, 30), tzinfo=dt.UTC))
    if mode == "airflow":
        subprocess.run([sys.executable, "-m", "dwh.airflow_env", "prepare"], cwd=PROJECT_ROOT, env=env,  # nosec B603
                       check=True, capture_output=True, timeout=600)
        seconds, out = _dwh(["run", "--date", DAY.isoformat(), "--airflow"], env)
        dbt_s = _airflow_dbt_seconds(data / "airflow")
    else:
        seconds, out = _dwh(["run", "--date", DAY.isoformat()], env)
        found = re.search(r"dbt build done \(([\d.]+) s\)", out)
        dbt_s = float(found.group(1)) if found else None
    (data / "run.log").write_text(out)
    result = {"mode": mode, "run": index, "seconds": round(seconds, 1), "dbt_build_s": dbt_s,
              "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    print(json.dumps(result), flush=True)
    return result


def machine() -> dict[str, Any]:
    import psutil

    return {"cpus": os.cpu_count(), "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dag_ratio", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="runs of each mode (default 2)")
    args = parser.parse_args(argv)
    from sandbox.harness.process import running_sandbox

    root = data_dir() / "bench" / "dag_ratio"
    runs: list[dict[str, Any]] = []
    with running_sandbox() as sandbox:
        for i in range(args.repeats):
            for mode in ("airflow", "direct"):
                runs.append(run_once(mode, i, root, sandbox))
    median = {m: statistics.median(r["seconds"] for r in runs if r["mode"] == m) for m in ("airflow", "direct")}
    dbt = {m: [r["dbt_build_s"] for r in runs if r["mode"] == m] for m in ("airflow", "direct")}
    report = {"date": dt.datetime.now(dt.UTC).date().isoformat(), "machine": machine(), "day": DAY.isoformat(),
              "airflow_s": round(median["airflow"], 1), "direct_s": round(median["direct"], 1),
              "ratio": round(median["airflow"] / median["direct"], 2), "goal": GOAL,
              "runs": runs, "dbt_build_s": dbt}
    out = data_dir() / "reports" / "dag_ratio.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"DAG through Airflow {report['airflow_s']} s, direct {report['direct_s']} s: ratio {report['ratio']} "
          f"(goal <= {GOAL}); dbt build alone {dbt}; {out}")
    return 0 if report["ratio"] <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
