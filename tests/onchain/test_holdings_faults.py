"""Providers failing on the day, through to the marts: missing stays missing (NULL, never 0), an address
one provider answered is single-source, a disagreement is disputed. One day, in-process sandbox, dbt."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from sandbox.chains import world
from tests.onchain.conftest import DAY, ONCHAIN, RUN_AT, fast_client
from tests.support.sandbox import warehouse_env

pytestmark = pytest.mark.slow
HTX = sorted(a for e, c, a in world.registry() if e == "HTX")
# what the warehouse's USD price (int_prices_daily) is built from; nothing else of those venues is needed
PRICES = {"binance": ["mark_price_klines", "index_price_klines"], "bybit": ["mark_price_klines"],
          "deribit": ["tickers"]}


def ingest_day(day, **kwargs) -> dict:
    from dwh.pipeline import load
    from ingest.run import ingest_source

    runs = {s: ingest_source(s, day, raise_on_failure=False, **kwargs) for s in ONCHAIN}
    for venue, datasets in PRICES.items():
        ingest_source(venue, day, datasets=datasets)
    load(day, [*ONCHAIN, *PRICES])
    return runs


@pytest.fixture(scope="module")
def faulted_day(chain_sb, tmp_path_factory):
    """Built once for the module: two days of ingest and a dbt build take a minute or two."""
    from dwh.pipeline import dbt_build

    data = tmp_path_factory.mktemp("faulted") / "data"
    with warehouse_env(chain_sb.url, data):
        chain_sb.clear_faults()
        # a clean day first: a warehouse knows which entities it tracks from what it has read before
        chain_sb.set_clock(dt.datetime.combine(DAY, dt.time(0, 30), dt.UTC))
        ingest_day(DAY - dt.timedelta(days=1))
        chain_sb.set_clock(RUN_AT)
        chain_sb.add_fault("mempool_space", "http_429", count=-1, path=HTX[0])  # one address, every attempt
        chain_sb.add_fault("eth_rpc_b", "http_500", count=-1)  # a whole provider down
        chain_sb.add_fault("trongrid", "http_500", count=-1, status=503)  # both Tron providers down
        chain_sb.add_fault("tron_fullnode", "http_500", count=-1, status=503)
        try:
            runs = ingest_day(DAY, client_overrides=fast_client())
        finally:
            chain_sb.clear_faults()
        dbt_build(DAY, select="+entity_holdings_daily +entity_flows_daily")
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    yield runs, con
    con.close()


def test_failures_leave_balances_missing_never_zero(faulted_day):
    runs, con = faulted_day
    assert runs["trongrid"]["datasets"]["accounts"]["status"] == "failed"
    assert runs["eth_rpc_b"]["datasets"]["rpc_calls"]["status"] == "failed"
    failed = con.execute("""
        SELECT provider, count(*), count(balance), min(missing_reason), max(missing_reason)
        FROM intermediate.int_address_balances_daily
        WHERE date = ? AND (provider IN ('eth_rpc_b', 'trongrid') OR address = ?)
          AND provider <> 'blockstream'
        GROUP BY provider ORDER BY provider""", [DAY, HTX[0]]).fetchall()
    assert [(p, n > 0, with_balance) for p, n, with_balance, *_ in failed] == [
        ("eth_rpc_b", True, 0), ("mempool_space", True, 0), ("trongrid", True, 0)]
    # the reason names what the run recorded: the provider's failed datasets and their errors
    assert all(lo.startswith("no answer from the provider (") and "failed: " in hi for *_, lo, hi in failed), failed
    assert all("HTTP 50" in hi for p, *_, lo, hi in failed if p in ("eth_rpc_b", "trongrid")), failed
    zeros = con.execute("""
        SELECT count(*) FROM intermediate.int_address_balances_daily
        WHERE date = ? AND NOT has_data AND balance IS NOT NULL""", [DAY]).fetchone()[0]
    assert zeros == 0


def test_statuses_follow_what_answered(faulted_day):
    _, con = faulted_day
    rows = {(e, c, a): (status, balance, n, sources) for e, c, a, status, balance, n, sources in con.execute("""
        SELECT entity, chain, asset, verification_status, balance, addresses_with_data, sources
        FROM marts.entity_holdings_daily WHERE date = ?""", [DAY]).fetchall()}
    # one HTX address answered by blockstream only
    assert rows[("HTX", "bitcoin", "BTC")][0] == "single_source"
    address = con.execute("""SELECT address_status, sources FROM intermediate.int_address_balances_compared
                             WHERE date = ? AND address = ?""", [DAY, HTX[0]]).fetchone()
    assert address == ("single_source", "blockstream")
    # the second Ethereum endpoint down: every Ethereum figure rests on one provider
    for entity in ("Ethereum Foundation", "Deribit", "BitMEX"):
        status, balance, _, sources = rows[(entity, "ethereum", "ETH")]
        assert status == "single_source" and balance > 0 and sources == "eth_rpc_a"
    # both Tron providers down: no balance at all, and it says so
    for asset in ("TRX", "USDT"):
        status, balance, with_data, sources = rows[("BitMEX", "tron", asset)]
        assert (status, balance, with_data, sources) == ("unverified", None, 0, None)
    # the provider that misreads one reserve address still disagrees
    assert rows[("Tron/HTX BTC reserve", "bitcoin", "BTC")][0] == "disputed"
    assert rows[("El Salvador", "bitcoin", "BTC")][0] == "verified"
