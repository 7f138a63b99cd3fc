"""The daily pipeline driven the way production drives it, for the crash and idempotency tests.

Loads and dbt builds run as subprocesses of this virtualenv (so they can be killed), each scenario in
its own data directory whose landing zone is shared (a symlink) or copied, and marts are compared by
content hash (tests.support.integrity.table_hashes).
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from dwh.dbt import DBT_DIR, dbt_executable, with_project_vars
from ingest.config import PROJECT_ROOT
from ingest.run import ingest_source
from tests.faults._harness import CLIENT, rest_datasets
from tests.support.integrity import table_hashes

DAYS = [dt.date(2026, 11, 24), dt.date(2026, 11, 25), dt.date(2026, 11, 26)]
# tables that describe a run rather than the market: they differ between two runs by design
RUN_METADATA = ("data_quality_results",)
# dbt build of the models (tests and unit tests are the CI's job; they do not change the marts)
DBT_BUILD = ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]


def scheduled_clock(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 30), tzinfo=dt.UTC)


def ingest_day(sandbox, sources_file: Path, root: Path, day: dt.date) -> dict[str, Any]:
    """Every enabled REST source for the day, at once, with the sandbox clock at D+1 00:30."""
    sandbox.set_clock(scheduled_clock(day))
    sources = sorted(rest_datasets(sources_file))
    with ThreadPoolExecutor(max_workers=len(sources)) as pool:
        return dict(zip(sources, pool.map(lambda s: ingest_source(
            s, day, root=root, sources_file=sources_file, raise_on_failure=False, client_overrides=CLIENT), sources)))


def scenario(base: Path, name: str, landing: Path, *, copy: bool = False) -> Path:
    """A data directory of its own (warehouse, dbt output) over a shared or copied landing zone."""
    data = base / name
    data.mkdir(parents=True)
    if copy:
        shutil.copytree(landing, data / "landing", symlinks=True)
    else:
        (data / "landing").symlink_to(landing, target_is_directory=True)
    return data


def env_for(data: Path, sources_file: Path) -> dict[str, str]:
    # a target and log dir of its own: other dbt runs (other tests, other engineers) share dbt_project/target
    return dict(os.environ, DWH_DATA_DIR=str(data), DWH_SOURCES=str(sources_file), DBT_PROFILES_DIR=str(DBT_DIR),
                DBT_TARGET_PATH=str(data / "dbt-target"), DBT_LOG_PATH=str(data / "dbt-logs"),
                PYTHONPATH=str(PROJECT_ROOT))


def load_command(days: list[dt.date]) -> list[str]:
    code = ("import logging, sys; logging.basicConfig(level=logging.INFO, stream=sys.stderr, "
            "format='%(name)s %(message)s'); from dwh.pipeline import load; "
            + "; ".join(f"load('{d.isoformat()}')" for d in days))
    return [sys.executable, "-c", code]


def dbt_command(day: dt.date) -> list[str]:
    return [dbt_executable(), *with_project_vars([*DBT_BUILD, "--vars", f"{{run_date: '{day.isoformat()}'}}"]),
            "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]


def run(cmd: list[str], data: Path, sources_file: Path, timeout: float = 900) -> str:
    proc = subprocess.run(cmd, cwd=DBT_DIR if cmd[0] != sys.executable else PROJECT_ROOT,
                          env=env_for(data, sources_file), text=True, capture_output=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(cmd[:3])} failed ({proc.returncode}):\n{out[-4000:]}"
    return out


def load(data: Path, sources_file: Path, days: list[dt.date]) -> str:
    return run(load_command(days), data, sources_file)


def dbt_build(data: Path, sources_file: Path, day: dt.date) -> str:
    return run(dbt_command(day), data, sources_file)


def kill_when(cmd: list[str], data: Path, sources_file: Path, marker: str, nth: int, *,
              extra_delay_s: float = 0.0, timeout: float = 900) -> dict[str, Any]:
    """Start `cmd`, SIGKILL it once `marker` has appeared `nth` times in its output (plus a delay),
    and say how far it got. A run that finishes first is reported, not hidden."""
    proc = subprocess.Popen(cmd, cwd=DBT_DIR if cmd[0] != sys.executable else PROJECT_ROOT,
                            env=env_for(data, sources_file), text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, bufsize=1)
    seen, lines, started = 0, [], time.time()
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if marker in line:
                seen += 1
                if seen >= nth:
                    time.sleep(extra_delay_s)
                    proc.send_signal(signal.SIGKILL)
                    break
            if time.time() - started > timeout:
                proc.send_signal(signal.SIGKILL)
                break
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return {"killed": rc == -signal.SIGKILL, "returncode": rc, "markers": seen, "output": "".join(lines)[-3000:]}


def warehouse(data: Path) -> Path:
    return data / "warehouse.duckdb"


def mart_hashes(data: Path) -> dict[str, str]:
    return table_hashes(warehouse(data), "marts", exclude=RUN_METADATA)
