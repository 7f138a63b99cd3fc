"""Fixtures for the sandbox's own tests: an in-process server and the vendored API samples."""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sandbox.market import DEFAULT_NOW
from tests.sandbox._helpers import SAMPLES_DIR
from tests.support.sandbox import in_process_sandbox


@pytest.fixture(scope="module")
def sb():
    """A sandbox on a free port, clock at 2026-11-27T00:30Z, rate limits off (tests fire fast)."""
    with in_process_sandbox(DEFAULT_NOW) as server:
        yield server


@pytest.fixture()
def client(sb):
    sb.clear_faults()
    sb.set_clock(DEFAULT_NOW)
    with httpx.Client(base_url=sb.url, timeout=10) as c:
        yield c
    sb.clear_faults()


@pytest.fixture(scope="session")
def samples() -> Path:
    assert SAMPLES_DIR.is_dir(), f"vendored fixtures missing at {SAMPLES_DIR}"
    return SAMPLES_DIR

