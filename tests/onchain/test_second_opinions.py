"""A pruned Ethereum endpoint and a Tron provider that cannot tell a lost answer from a zero, through to the
marts: the pruned node is a provider failure with its reason and the entity rests on the other endpoint,
naming why; the second Tron provider turns TronGrid's silent zeros into disputed balances.
Two days, in-process sandbox, dbt."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from sandbox.chains import world
from tests.onchain.conftest import DAY, RUN_AT
from tests.onchain.test_holdings_faults import ingest_day
from tests.support.sandbox import warehouse_env

pytestmark = pytest.mark.slow
BITMEX_TRON = [a for e, c, a in world.registry() if (e, c) == ("BitMEX", "tron")]
EMPTIED, RENAMED = BITMEX_TRON  # the first answers `data: []` on its first day, the second loses `balance`
DAY0 = DAY - dt.timedelta(days=1)


@pytest.fixture(scope="module")
def two_days(chain_sb, tmp_path_factory):
    from dwh.pipeline import dbt_build

    data = tmp_path_factory.mktemp("opinions") / "data"
    with warehouse_env(chain_sb.url, data):
        chain_sb.clear_faults()
        chain_sb.clear_chains()
        try:
            # DAY0: the first day the warehouse reads the addresses; TronGrid answers one as never activated
            chain_sb.set_clock(dt.datetime.combine(DAY, dt.time(0, 30), dt.UTC))
            chain_sb.add_fault("trongrid", "empty_page", count=-1, path=EMPTIED)
            runs0 = ingest_day(DAY0)
            chain_sb.clear_faults()
            # DAY: the second Ethereum endpoint keeps 128 blocks of state, as a default geth full node does;
            # TronGrid's answer for another address comes with `balance` renamed
            chain_sb.set_clock(RUN_AT)
            chain_sb.set_chains({"eth_rpc_b": {"state_window": 128}})
            chain_sb.add_fault("trongrid", "drift_rename", count=-1, path=RENAMED)
            runs = ingest_day(DAY)
        finally:
            chain_sb.clear_faults()
            chain_sb.clear_chains()
        for day in (DAY0, DAY):
            # the models only: their unit tests run with the dbt suite (and wait on other models being edited)
            dbt_build(day, select="+entity_holdings_daily", unit_tests=False)
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    yield runs0, runs, con
    con.close()


def test_pruned_node_fails_with_its_reason(two_days):
    _, runs, con = two_days
    entry = runs["eth_rpc_b"]["datasets"]["rpc_calls"]
    assert entry["status"] == "failed"
    assert "not an archive node" in entry["error"] and "missing trie node" in entry["error"]
    recorded = con.execute("""SELECT status, error FROM raw.ingest_runs
                              WHERE source = 'eth_rpc_b' AND date = ?""", [DAY]).fetchall()
    assert len(recorded) == 1 and recorded[0][0] == "failed" and "not an archive node" in recorded[0][1]
    # the refusals landed and were quarantined with a reason, not loaded as balances
    quarantined = con.execute("""SELECT count(*), min(reason) FROM raw.quarantine
                                 WHERE source = 'eth_rpc_b' AND date = ?""", [DAY]).fetchone()
    assert quarantined[0] > 0 and "result" in quarantined[1]
    # the archive endpoint of the same day is unaffected
    assert runs["eth_rpc_a"]["datasets"]["rpc_calls"]["status"] == "ok"


def test_pruned_node_leaves_balances_missing_and_names_why(two_days):
    _, _, con = two_days
    rows = con.execute("""SELECT count(*), count(balance), min(missing_reason), max(missing_reason)
                          FROM intermediate.int_address_balances_daily
                          WHERE date = ? AND provider = 'eth_rpc_b'""", [DAY]).fetchone()
    assert rows[0] > 0 and rows[1] == 0
    assert rows[2] == rows[3] and "not an archive node" in rows[2]
    for entity in ("Ethereum Foundation", "Deribit", "BitMEX"):
        status, balance, sources, reason = con.execute("""
            SELECT verification_status, balance, sources, status_reason FROM marts.entity_holdings_daily
            WHERE date = ? AND entity = ? AND chain = 'ethereum'""", [DAY, entity]).fetchone()
        assert status == "single_source" and sources == "eth_rpc_a", (entity, status, sources)
        assert balance is not None and balance > 0
        assert "eth_rpc_b" in reason and "not an archive node" in reason, reason
    # the day before, both endpoints were archive nodes and agreed
    assert con.execute("""SELECT DISTINCT verification_status FROM marts.entity_holdings_daily
                          WHERE date = ? AND chain = 'ethereum'""", [DAY0]).fetchall() == [("verified",)]


def _address(con, day, address, asset):
    return con.execute("""SELECT address_status, providers_answered, balance_low, balance_high
                          FROM intermediate.int_address_balances_compared
                          WHERE date = ? AND chain = 'tron' AND address = ? AND asset = ?""",
                       [day, address, asset]).fetchone()


def test_an_emptied_tron_answer_on_the_first_day_is_disputed_not_zero(two_days):
    runs0, _, con = two_days
    assert runs0["trongrid"]["datasets"]["accounts"]["status"] == "ok"  # raw cannot tell: `data: []` is valid
    for asset in ("TRX", "USDT"):
        status, answered, low, high = _address(con, DAY0, EMPTIED, asset)
        assert (status, answered, low) == ("disputed", 2, 0.0) and high > 0, (asset, status, low, high)
    status, reason = con.execute("""SELECT verification_status, status_reason FROM marts.entity_holdings_daily
                                    WHERE date = ? AND entity = 'BitMEX' AND chain = 'tron' AND asset = 'TRX'""",
                                 [DAY0]).fetchone()
    assert status == "disputed" and EMPTIED in reason and "trongrid" in reason and "tron_fullnode" in reason


def test_a_renamed_tron_balance_is_disputed_and_the_rest_verified(two_days):
    _, runs, con = two_days
    assert runs["trongrid"]["datasets"]["accounts"]["status"] == "ok"
    status, answered, low, high = _address(con, DAY, RENAMED, "TRX")
    assert (status, answered, low) == ("disputed", 2, 0.0) and high > 0
    # USDT was not renamed: both providers agree on it, and on the other address entirely
    assert _address(con, DAY, RENAMED, "USDT")[:2] == ("verified", 2)
    for asset in ("TRX", "USDT"):
        assert _address(con, DAY, EMPTIED, asset)[:2] == ("verified", 2)
    statuses = dict(con.execute("""SELECT asset, verification_status FROM marts.entity_holdings_daily
                                   WHERE date = ? AND entity = 'BitMEX' AND chain = 'tron'""", [DAY]).fetchall())
    assert statuses == {"TRX": "disputed", "USDT": "verified"}


def test_the_full_node_agrees_with_trongrid_to_the_unit(two_days):
    _, _, con = two_days
    # every verified Tron balance: both providers' numbers identical (the same world, two formats); 8
    # address-asset-days, 3 of them disputed by the faults above
    spread = con.execute("""SELECT max(balance_high - balance_low), count(*)
                            FROM intermediate.int_address_balances_compared
                            WHERE chain = 'tron' AND address_status = 'verified'""").fetchone()
    assert spread == (0, 5)
