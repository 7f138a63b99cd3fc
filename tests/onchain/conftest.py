"""An in-process sandbox for the on-chain tests, and the sources file pointed at it."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.support.sandbox import in_process_sandbox

DAY = dt.date(2026, 11, 24)
RUN_AT = dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.UTC)  # what the scheduled run of DAY sees
ONCHAIN = ("mempool_space", "blockstream", "eth_rpc_a", "eth_rpc_b", "trongrid", "tron_fullnode")


@pytest.fixture(scope="module")
def chain_sb():
    with in_process_sandbox(RUN_AT) as server:
        yield server


@pytest.fixture()
def chain_sources(chain_sb, data_dir, monkeypatch) -> Path:
    from sandbox.harness.process import sandbox_sources_file

    chain_sb.clear_faults()
    chain_sb.set_clock(RUN_AT)
    path = sandbox_sources_file(chain_sb.url, data_dir / "sources.yml")
    monkeypatch.setenv("DWH_SOURCES", str(path))
    yield path
    chain_sb.clear_faults()


def fast_client() -> dict:
    """Client settings that give up quickly: the tests make providers fail on purpose."""
    return {"max_attempts": 2, "backoff_base_s": 0.01, "backoff_cap_s": 0.05, "timeout_s": 5.0}
