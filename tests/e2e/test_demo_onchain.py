"""`make demo`'s warehouse: on-chain holdings of the registry's entities from two providers per chain.

The demo reads the entities named in config/sandbox.yml (a documented subset of the registry, to stay
fast); tests/onchain/test_full_registry.py reads all of it.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import math

import pytest
import yaml

from sandbox import entities
from sandbox.chains import world
from sandbox.harness.demo import DEMO_END, DEMO_START
from tests.conftest import PROJECT
from tests.support.market_truth import SEED, address_close, index_band

pytestmark = pytest.mark.slow
DAYS = [DEMO_START + dt.timedelta(days=i) for i in range((DEMO_END - DEMO_START).days + 1)]
RESERVE = "Tron/HTX BTC reserve"
ASSET = {"bitcoin": "BTC", "ethereum": "ETH"}


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


@functools.cache
def _addresses(entity: str, chain: str) -> tuple[str, ...]:
    return tuple(r["address"] for r in registry() if (r["entity"], r["chain"]) == (entity, chain))


def _entity_close(entity: str, chain: str, day: dt.date, provider: str | None = None) -> float:
    """What the sandbox's model says the entity held at the close: its registry addresses' closes summed."""
    return math.fsum(address_close(chain, a, day, provider) for a in _addresses(entity, chain))


def _holdings(demo_db, where: str, params=()) -> list[tuple]:
    return demo_db.execute(f"""
        SELECT entity, chain, date, balance, balance_change_1d, balance_change_30d, usd_value, verification_status
        FROM marts.entity_holdings_daily WHERE chain IN ('bitcoin', 'ethereum') AND {where}
        ORDER BY entity, chain, date""", list(params)).fetchall()  # nosec B608: a literal condition


def test_other_entities_hold_the_simulated_balances_and_their_usd_value(demo_db):
    """Every Bitcoin and Ethereum entity but the disputed reserve: verified every day, the balance the model
    closed the day with, its 1- and 30-day changes the model's, and in USD an index price the market showed
    near the close. (usd_value = balance x price_usd is a dbt test on the mart.)"""
    rows = _holdings(demo_db, "entity <> ?", [RESERVE])
    entities_seen = {(e, c) for e, c, *_ in rows}
    assert entities_seen >= {("Ethereum Foundation", "ethereum"), ("HTX", "bitcoin"), ("El Salvador", "bitcoin")}
    for entity, chain in entities_seen:
        mine = [r for r in rows if r[:2] == (entity, chain)]
        assert [r[2] for r in mine] == DAYS and all(r[7] == "verified" for r in mine), entity
    for entity, chain, day, balance, change_1d, change_30d, usd_value, _ in rows:
        held = _entity_close(entity, chain, day)
        assert balance == pytest.approx(held, abs=1e-7), (entity, day)
        lo, hi = index_band(ASSET[chain], day)
        assert held * lo - 0.01 <= usd_value <= held * hi + 0.01, (entity, day)
        for change, back in ((change_1d, 1), (change_30d, 30)):
            before = day - dt.timedelta(days=back)
            if before < DEMO_START:
                assert change is None, (entity, day, back)
            else:
                assert change == pytest.approx(held - _entity_close(entity, chain, before), abs=1e-7), (entity, day, back)


def test_the_reserve_grows_and_the_foundation_sells(demo_db):
    """The scenario the model plays: the reserve only grows, the foundation only sells. The reserve is
    disputed (one provider misreads an address), so what the warehouse says it held lies between what its
    two providers' models read."""
    reserve = _holdings(demo_db, "entity = ?", [RESERVE])
    assert [r[2] for r in reserve] == DAYS
    read = {d: tuple(_entity_close(RESERVE, "bitcoin", d, p) for p in ("blockstream", "mempool"))
            for d in [DEMO_START - dt.timedelta(days=1), *DAYS]}
    for *_, day, balance, change_1d, _, _, status in reserve:
        (high, low), (high_before, low_before) = read[day], read[day - dt.timedelta(days=1)]
        assert status == "disputed" and low < high and low - 1e-7 <= balance <= high + 1e-7, day
        if day > DEMO_START:
            assert low - high_before - 1e-7 <= change_1d <= high - low_before + 1e-7, day
    balances = [r[3] for r in reserve]
    assert balances[-1] > balances[0] and all(b >= a for a, b in zip(balances, balances[1:]))
    foundation = [r[3] for r in _holdings(demo_db, "entity = ?", ["Ethereum Foundation"])]
    assert foundation[-1] < foundation[0] and all(b <= a for a, b in zip(foundation, foundation[1:]))


def test_balances_are_the_simulated_closes(demo_db):
    """What the warehouse says each address held is what the sandbox's model says (first provider)."""
    rows = demo_db.execute("""
        SELECT date, chain, address, balance FROM intermediate.int_address_balances_daily
        WHERE provider IN ('blockstream', 'eth_rpc_a') AND asset IN ('BTC', 'ETH')""").fetchall()
    model_provider = {"bitcoin": "blockstream", "ethereum": "etherscan"}
    worst = max(abs(b - world.close(SEED, c, a, d, model_provider[c])) for d, c, a, b in rows)
    assert rows and worst < 1e-8


def test_flows_are_the_simulated_balance_change(demo_db):
    """Net flow of each Bitcoin entity and day, from two providers' transaction histories, is what the model
    moved: the change of the entity's close; internal moves net to their fee."""
    rows = demo_db.execute("""
        SELECT entity, date, net, verification_status FROM marts.entity_flows_daily
        WHERE date BETWEEN ? AND ?""", [DEMO_START + dt.timedelta(days=1), DEMO_END]).fetchall()
    bitcoin_entities = set(configured()["blockstream"][1])
    assert {(e, d) for e, d, *_ in rows} == {(e, d) for e in bitcoin_entities for d in DAYS[1:]}
    for entity, day, net, status in rows:
        change = _entity_close(entity, "bitcoin", day) - _entity_close(entity, "bitcoin", day - dt.timedelta(days=1))
        assert status == "verified" and net == pytest.approx(change, abs=1e-7), (entity, day, net, change)
    internal = demo_db.execute("""
        SELECT count(*) FROM intermediate.int_entity_transfers_netted
        WHERE entity = ? AND entity_delta_sats < 0 AND entity_delta_sats > -10000""", [RESERVE]).fetchone()[0]
    assert internal > 0, "some of the reserve's days have a transfer between its own addresses"
    grows = demo_db.execute("SELECT sum(net) > 0, sum(inflow) > 0 FROM marts.entity_flows_daily WHERE entity = ?",
                            [RESERVE]).fetchone()
    assert grows == (True, True)
