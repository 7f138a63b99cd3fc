"""The demo warehouse, built once per session through `python -m dwh.demo`, as a user would."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("demo") / "data"
    env = dict(os.environ, DWH_DATA_DIR=str(data))
    env.pop("DWH_SOURCES", None)
    proc = subprocess.run([sys.executable, "-m", "dwh.demo"], cwd=PROJECT, env=env, text=True,
                          capture_output=True, timeout=1800)
    (data / "demo_output.txt").write_text(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return data


@pytest.fixture(scope="session")
def demo_db(demo_dir):
    import duckdb

    con = duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()
