"""Shared fixtures: a private data dir per test session and a running exchange sandbox."""
from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SAMPLES = PROJECT.parent / "shared" / "api-samples"


@pytest.fixture(scope="session")
def sandbox():
    from dwh.sandbox_proc import running_sandbox

    with running_sandbox() as handle:
        yield handle


@pytest.fixture()
def data_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("DWH_DATA_DIR", str(d))
    return d


@pytest.fixture()
def sandbox_sources(sandbox, data_dir, monkeypatch) -> Path:
    from dwh.sandbox_proc import sandbox_sources_file

    path = sandbox_sources_file(sandbox.url, data_dir / "sources.yml")
    monkeypatch.setenv("DWH_SOURCES", str(path))
    sandbox.clear_faults()
    return path


def pytest_collection_modifyitems(config, items):
    """Group tests for `pytest -n 2 --dist loadgroup` (make test): every test that reads the demo
    warehouse runs on one worker, so the session's demo is built once; other tests stay with their
    module, so module-scoped fixtures are built once too."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        uses_demo = {"demo_dir", "demo_db"} & set(getattr(item, "fixturenames", ()))
        item.add_marker(pytest.mark.xdist_group(name="demo" if uses_demo else item.nodeid.split("::")[0]))
