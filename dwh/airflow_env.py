"""Run the DAG through a local Airflow (SQLite metadata under $DWH_DATA_DIR/airflow).

`python -m dwh.airflow_env run --date D` migrates the metadata DB and creates the writer pool once per
Airflow home (`python -m dwh.airflow_env prepare` does both again), then runs
`airflow dags test crypto_market_daily D`.
"""
from __future__ import annotations

import argparse
import os
import subprocess  # argument lists only, never a shell  # nosec B404
import sys
from pathlib import Path

from ingest.config import PROJECT_ROOT, data_dir

DAG_ID = "crypto_market_daily"


def airflow_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    home = Path(os.environ.get("AIRFLOW_HOME") or data_dir() / "airflow")
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": env.get("AIRFLOW__CORE__UNIT_TEST_MODE", "False"),
        "DWH_DATA_DIR": str(data_dir()),
        "DBT_PROFILES_DIR": str(PROJECT_ROOT / "dbt_project"),
        # No phoning home: the machine may have no internet, and runs should not leak metadata.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    })
    env.update(extra or {})
    return env


def airflow_bin() -> str:
    candidate = Path(sys.executable).parent / "airflow"
    return str(candidate) if candidate.exists() else "airflow"


def airflow(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([airflow_bin(), *args], env=env or airflow_env(), text=True, check=check)  # argument list, no shell  # nosec B603


def prepare(env: dict[str, str] | None = None, force: bool = False) -> dict[str, str]:
    """Migrate the metadata DB and create the writer pool, once per Airflow home (each `airflow` command
    costs a few seconds of start-up, and both persist in the metadata DB); `force` does both again."""
    env = env or airflow_env()
    stamp = Path(env["AIRFLOW_HOME"]) / ".prepared"
    if force or not stamp.exists():
        airflow("db", "migrate", env=env)
        airflow("pools", "set", "duckdb_writer", "1", "DuckDB allows one writing process at a time", env=env)
        stamp.touch()
    return env


def run(date: str, env: dict[str, str] | None = None) -> int:
    env = prepare(env)
    # the one DAG file, not the whole folder: `dags test` parses only what it runs
    dag_file = Path(env["AIRFLOW__CORE__DAGS_FOLDER"]) / f"{DAG_ID}.py"
    return airflow("dags", "test", DAG_ID, date, "--dagfile-path", str(dag_file), env=env, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dwh.airflow_env")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_run = sub.add_parser("run", help="run the daily DAG for one date with `airflow dags test`")
    p_run.add_argument("--date", required=True)
    sub.add_parser("prepare", help="migrate the metadata DB and create the writer pool")
    args = parser.parse_args(argv)
    if args.cmd == "prepare":
        prepare(force=True)
        return 0
    from dwh.pipeline import NothingEnabled, parse_day, require_enabled_sources
    from ingest.config import ConfigError

    day = parse_day(args.date).isoformat()
    try:
        # before Airflow starts: a run with nothing to ingest would only publish an empty day
        require_enabled_sources()
    except (NothingEnabled, ConfigError) as exc:
        print(f"dwh.airflow_env run --date {day}: {exc}", file=sys.stderr)
        return 2
    return run(day)


if __name__ == "__main__":
    sys.exit(main())
