"""The demo warehouse, built once per session through `python -m sandbox demo` (`make demo`), as a user would,
in the background from the session's start (tests/e2e/demo_build.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import demo_build


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory, worker_id) -> Path:
    # started with the session by tests/conftest.py; a run of only these files starts it here
    return demo_build.wait(demo_build.shared_root(tmp_path_factory.getbasetemp(), worker_id))


@pytest.fixture(scope="session")
def demo_db(demo_dir):
    import duckdb

    con = duckdb.connect(str(demo_dir / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()
