"""Shared fixtures: a private data dir per test session and a running exchange sandbox."""
from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
# real-format payloads vendored with their origins and licences (tests/fixtures/README.md)
FIXTURES = PROJECT / "tests" / "fixtures"
SAMPLES = FIXTURES


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
