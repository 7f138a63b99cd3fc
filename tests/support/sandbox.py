"""Sandbox set-up the test folders share: an in-process server, and a warehouse pointed at a sandbox."""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.harness.process import sandbox_sources_file
from sandbox.market import DEFAULT_NOW
from sandbox.server import SandboxServer


@contextlib.contextmanager
def in_process_sandbox(clock: dt.datetime | str = DEFAULT_NOW) -> Iterator[SandboxServer]:
    """A sandbox on a free port on a thread of this process, seed 7, rate limits off (tests fire fast)."""
    with SandboxServer(seed=7, clock=clock, rate_limit_scale=0) as server:
        yield server


@contextlib.contextmanager
def warehouse_env(sandbox_url: str, data: Path, enabled: dict[str, bool] | None = None) -> Iterator[Path]:
    """DWH_DATA_DIR=`data` and DWH_SOURCES=a sources file in it pointed at the sandbox, for as long as the
    block runs: what a module-scoped fixture needs (a test's own use the data_dir and sandbox_sources
    fixtures). Yields the sources file."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWH_DATA_DIR", str(data))
        path = sandbox_sources_file(sandbox_url, data / "sources.yml", enabled)
        mp.setenv("DWH_SOURCES", str(path))
        yield path
