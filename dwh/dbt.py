"""Run dbt as a subprocess of this virtualenv, against dbt_project/ and its profiles.yml."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess  # argument lists only, never a shell  # nosec B404
import sys
from pathlib import Path

from ingest.config import PROJECT_ROOT, data_dir

log = logging.getLogger(__name__)
DBT_DIR = PROJECT_ROOT / "dbt_project"


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def target_dir() -> Path:
    """dbt's target and log folders for this data dir: two runs on different warehouses (xdist
    workers, a backfill beside a test) must not write one `target/` at once. The project's own
    `target/manifest.json` (`make manifest`) stays what cosmos renders the DAG from."""
    path = Path(os.environ.get("DBT_TARGET_PATH") or data_dir() / "dbt" / "target")
    if not (path / "partial_parse.msgpack").exists():
        path.mkdir(parents=True, exist_ok=True)
        # dbt re-parses the whole project without it; it checks every file's hash before trusting it
        seed = DBT_DIR / "target" / "partial_parse.msgpack"
        if seed.exists():
            shutil.copyfile(seed, path / seed.name)
    return path


def run_dbt(args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    target = target_dir()
    env = dict(os.environ, DWH_DATA_DIR=str(data_dir()), DBT_PROFILES_DIR=str(DBT_DIR),
               DBT_TARGET_PATH=str(target),
               DBT_LOG_PATH=os.environ.get("DBT_LOG_PATH") or str(target.parent / "logs"))
    cmd = [dbt_executable(), *args, "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
    log.info("running %s", " ".join(cmd))
    proc = subprocess.run(cmd, cwd=DBT_DIR, env=env, text=True, capture_output=True)  # argument list, no shell  # nosec B603
    output = proc.stdout + proc.stderr
    for line in output.splitlines():
        log.info("dbt: %s", line)
    if check and proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-40:])
        raise RuntimeError(f"dbt {' '.join(args)} failed (exit {proc.returncode}):\n{tail}")
    return proc
