"""`make demo`'s warehouse: on-chain holdings of the registry's entities from two providers per chain.

The demo reads the entities named in config/sandbox.yml (a documented subset of the registry, to stay
fast); tests/onchain/test_full_registry.py reads all of it.
"""
from __future__ import annotations

import csv
import datetime as dt

import pytest
import yaml

from sandbox import entities
from sandbox.chains import world
from sandbox.harness.demo import DEMO_END, DEMO_START
from tests.conftest import PROJECT

pytestmark = pytest.mark.slow
DAYS = [DEMO_START + dt.timedelta(days=i) for i in range((DEMO_END - DEMO_START).days + 1)]
SEED = 7  # sandbox.harness.process.running_sandbox's default, which the demo uses
RESERVE = "Tron/HTX BTC reserve"


def configured() -> dict[str, tuple[str, list[str]]]:
    """On-chain provider -> (chain, entities) as config/sandbox.yml has them."""
    doc = yaml.safe_load((PROJECT / "config" / "sandbox.yml").read_text())["sources"]
    return {name: (block["chain"], block["entities"]) for name, block in doc.items()
            if block.get("kind") == "onchain" and block.get("enabled", True)}


def registry() -> list[dict]:
    with (PROJECT / "dbt_project" / "seeds" / "entity_addresses.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_configured_address_has_a_balance_every_day_from_every_provider(demo_db):
    rows = registry()
    for provider, (chain, names) in configured().items():
        expected = {r["address"] for r in rows if r["chain"] == chain and r["entity"] in names}
        got = demo_db.execute("""
            SELECT date, address FROM intermediate.int_address_balances_daily
            WHERE provider = ? AND has_data AND balance IS NOT NULL GROUP BY ALL""", [provider]).fetchall()
        have = {(d, a) for d, a in got}
        missing = [(d, a) for d in DAYS for a in expected if (d, a) not in have]
        assert not missing, (provider, missing[:5])


def test_two_providers_verify_bitcoin_and_ethereum_except_the_disputed_address(demo_db):
    statuses = demo_db.execute("""
        SELECT chain, address_status, count(DISTINCT address), count(*), min(providers_answered)
        FROM intermediate.int_address_balances_compared GROUP BY ALL ORDER BY ALL""").fetchall()
    by = {(c, s): (n_addr, n_rows, answered) for c, s, n_addr, n_rows, answered in statuses}
    assert set(by) == {("bitcoin", "disputed"), ("bitcoin", "verified"), ("ethereum", "verified"),
                       ("tron", "verified")}
    assert by[("bitcoin", "disputed")][:2] == (1, len(DAYS))  # one address, every day
    assert by[("bitcoin", "verified")][2] == by[("ethereum", "verified")][2] == by[("tron", "verified")][2] == 2


def test_the_disagreeing_address_makes_its_entity_disputed(demo_db):
    disputed = demo_db.execute("""
        SELECT DISTINCT address FROM intermediate.int_address_balances_compared
        WHERE address_status = 'disputed'""").fetchall()
    address = disputed[0][0]
    assert world.stand_in("bitcoin", address) == entities.DISPUTED_ADDRESS
    rows = demo_db.execute("""
        SELECT verification_status, providers_agree, status_reason FROM marts.entity_holdings_daily
        WHERE entity = ? AND chain = 'bitcoin'""", [RESERVE]).fetchall()
    assert len(rows) == len(DAYS)
    assert all(s == "disputed" and agree is False and address in reason for s, agree, reason in rows)
    # the second provider reads DISPUTED_FACTOR of what the first reads, give or take the day's late blocks
    ratios = demo_db.execute("""
        SELECT min(m.balance / b.balance), max(m.balance / b.balance)
        FROM intermediate.int_address_balances_daily m
        JOIN intermediate.int_address_balances_daily b USING (date, address)
        WHERE m.provider = 'mempool_space' AND b.provider = 'blockstream' AND address = ?""", [address]).fetchone()
    assert entities.DISPUTED_FACTOR - 0.005 < ratios[0] <= ratios[1] < 1.0


def test_tron_is_verified_by_its_two_providers(demo_db):
    rows = demo_db.execute("""
        SELECT asset, verification_status, sources, provider_count, providers_agree, count(*)
        FROM marts.entity_holdings_daily WHERE chain = 'tron' GROUP BY ALL ORDER BY asset""").fetchall()
    assert rows == [("TRX", "verified", "tron_fullnode,trongrid", 2, True, len(DAYS)),
                    ("USDT", "verified", "tron_fullnode,trongrid", 2, True, len(DAYS))]


def test_other_entities_are_verified_with_a_usd_value(demo_db):
    rows = demo_db.execute("""
        SELECT entity, chain, count(*), count(*) FILTER (WHERE verification_status = 'verified'),
               count(usd_value), max(abs(usd_value - balance * price_usd))
        FROM marts.entity_holdings_daily WHERE chain IN ('bitcoin', 'ethereum') AND entity <> ?
        GROUP BY ALL""", [RESERVE]).fetchall()
    assert {(e, c) for e, c, *_ in rows} >= {("Ethereum Foundation", "ethereum"), ("HTX", "bitcoin"),
                                              ("El Salvador", "bitcoin")}
    for entity, _chain, n, verified, valued, err in rows:
        assert n == verified == valued == len(DAYS), entity
        assert err < 0.01


def test_balances_are_the_simulated_closes(demo_db):
    """What the warehouse says each address held is what the sandbox's model says (first provider)."""
    rows = demo_db.execute("""
        SELECT date, chain, address, balance FROM intermediate.int_address_balances_daily
        WHERE provider IN ('blockstream', 'eth_rpc_a') AND asset IN ('BTC', 'ETH')""").fetchall()
    model_provider = {"bitcoin": "blockstream", "ethereum": "etherscan"}
    worst = max(abs(b - world.close(SEED, c, a, d, model_provider[c])) for d, c, a, b in rows)
    assert rows and worst < 1e-8


def test_the_reserve_grows_and_the_foundation_sells(demo_db):
    def series(entity: str, chain: str) -> list[float]:
        return [b for (b,) in demo_db.execute("""
            SELECT balance FROM marts.entity_holdings_daily WHERE entity = ? AND chain = ? ORDER BY date""",
                                              [entity, chain]).fetchall()]

    reserve, foundation = series(RESERVE, "bitcoin"), series("Ethereum Foundation", "ethereum")
    assert reserve[-1] > reserve[0] and all(b >= a for a, b in zip(reserve, reserve[1:]))
    assert foundation[-1] < foundation[0] and all(b <= a for a, b in zip(foundation, foundation[1:]))
    changes = demo_db.execute("""
        SELECT count(balance_change_1d), count(balance_change_30d),
               max(abs(balance_change_1d - (balance - lag_1)))
        FROM (SELECT *, lag(balance) OVER (PARTITION BY entity, chain, asset ORDER BY date) AS lag_1
              FROM marts.entity_holdings_daily WHERE verification_status <> 'unverified')""").fetchone()
    assert changes[0] > 0 and changes[1] > 0 and changes[2] < 1e-8


def test_flows_reconcile_with_the_balance_change(demo_db):
    """Net flow = change of the entity's balance as one provider reads it; internal moves net to their fee."""
    rows = demo_db.execute("""
        WITH bal AS (
            SELECT b.date, r.entity, sum(b.balance) AS balance
            FROM intermediate.int_address_balances_daily b
            JOIN staging.stg_registry__entity_addresses r USING (chain, address)
            WHERE b.provider = 'blockstream' GROUP BY ALL)
        SELECT f.entity, f.date, f.net, f.verification_status, bal.balance - prev.balance AS change
        FROM marts.entity_flows_daily f
        JOIN bal ON bal.entity = f.entity AND bal.date = f.date
        JOIN bal prev ON prev.entity = f.entity AND prev.date = f.date - 1""").fetchall()
    assert rows and all(status == "verified" for *_, status, _ in rows)
    assert max(abs(net - change) for _, _, net, _, change in rows) < 1e-7
    internal = demo_db.execute("""
        SELECT count(*) FROM intermediate.int_entity_transfers_netted
        WHERE entity = ? AND entity_delta_sats < 0 AND entity_delta_sats > -10000""", [RESERVE]).fetchone()[0]
    assert internal > 0, "some of the reserve's days have a transfer between its own addresses"
    grows = demo_db.execute("SELECT sum(net) > 0, sum(inflow) > 0 FROM marts.entity_flows_daily WHERE entity = ?",
                            [RESERVE]).fetchone()
    assert grows == (True, True)
