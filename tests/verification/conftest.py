"""Fixtures of the verification tests: an in-process sandbox (aggregators included) and placeholder keys."""
from __future__ import annotations

import pytest

from sandbox.market import DEFAULT_NOW
from tests.support.sandbox import in_process_sandbox

KEY_ENVS = ("COINALYZE_API_KEY", "COINGLASS_API_KEY")


@pytest.fixture(scope="module")
def sb():
    """A sandbox on a free port, clock at 2026-11-27T00:30Z, rate limits off."""
    with in_process_sandbox(DEFAULT_NOW) as server:
        yield server


@pytest.fixture()
def aggregator_keys(monkeypatch):
    for name in KEY_ENVS:
        monkeypatch.setenv(name, "test-placeholder")
