"""The demo warehouse, built once per session through `python -m dwh.demo`, as a user would."""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory, worker_id) -> Path:
    # Under pytest-xdist every worker has its own basetemp below a shared one: the first worker to
    # get here builds the demo there, the others wait on the lock and read the same warehouse.
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent
    data = root / "demo" / "data"
    with open(root / "demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rc_file = root / "demo" / "returncode"
        if not rc_file.exists():
            data.mkdir(parents=True, exist_ok=True)
            env = dict(os.environ, DWH_DATA_DIR=str(data))
            env.pop("DWH_SOURCES", None)
            proc = subprocess.run([sys.executable, "-m", "dwh.demo"], cwd=PROJECT, env=env, text=True,
                                  capture_output=True, timeout=2400)
            (data / "demo_output.txt").write_text(proc.stdout + proc.stderr)
            rc_file.write_text(str(proc.returncode))
    output = (data / "demo_output.txt").read_text()
    assert rc_file.read_text() == "0", output[-6000:]
    return data


@pytest.fixture(scope="session")
def demo_db(demo_dir):
    import duckdb

    con = duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()
