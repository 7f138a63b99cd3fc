"""Fixtures of the fault suite: its own sandbox (rate limits off, faults of its own), the clean day."""
from __future__ import annotations

import os

import pytest

from sandbox.harness.process import running_sandbox, sandbox_sources_file
from tests.faults._harness import KEY_PLACEHOLDER, MATRIX_TABLE, Matrix, key_envs


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return
    for path in sorted(factory.getbasetemp().rglob(MATRIX_TABLE)):  # workers' basetemps sit below ours
        terminalreporter.section("fault matrix")
        terminalreporter.write_line(path.read_text())


@pytest.fixture(scope="session")
def fault_sandbox():
    # A sandbox of our own: the faults installed here must not reach other tests' requests, and the
    # limiter is off so the only 429s are the injected ones.
    with running_sandbox(extra_args=["--rate-limit-scale", "0"]) as handle:
        yield handle


@pytest.fixture(scope="session")
def fault_sources(fault_sandbox, tmp_path_factory):
    path = sandbox_sources_file(fault_sandbox.url, tmp_path_factory.mktemp("fault-config") / "sources.yml")
    saved = {name: os.environ.get(name) for name in key_envs(path)}
    os.environ.update({name: KEY_PLACEHOLDER for name in saved if not saved[name]})
    yield path
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)


@pytest.fixture(scope="session")
def matrix(fault_sandbox, fault_sources, tmp_path_factory):
    m = Matrix(fault_sandbox, fault_sources, tmp_path_factory.mktemp("fault-matrix"))
    m.baseline()
    return m


@pytest.fixture(scope="session")
def history(fault_sandbox, fault_sources, tmp_path_factory):
    """Three scheduled days landed once (the crash and idempotency tests load them again and again)."""
    from tests.faults._pipeline import DAYS, ingest_day

    root = tmp_path_factory.mktemp("history")
    fault_sandbox.clear_faults()
    runs = {day: ingest_day(fault_sandbox, fault_sources, root, day) for day in DAYS}
    return {"root": root, "landing": root / "landing", "sources": fault_sources, "runs": runs}
