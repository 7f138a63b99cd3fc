"""The on-chain ingest modules against the sandbox: what they ask, what lands, what loads."""
from __future__ import annotations

import datetime as dt
import gzip
import json

import duckdb
import pytest

from ingest.config import ConfigError, get_source
from ingest.onchain.registry import addresses_for
from ingest.run import ingest_source
from tests.onchain.conftest import DAY, ONCHAIN, fast_client


def landed(data_dir, source: str, dataset: str) -> list[dict]:
    files = sorted((data_dir / "landing" / f"source={source}" / f"dataset={dataset}").rglob("*.ndjson.gz"))
    return [json.loads(gzip.decompress(p.read_bytes())) for p in files]


def test_registry_filter_narrows_to_the_configured_entities(chain_sources):
    reserve = addresses_for(get_source("mempool_space"))
    assert len(reserve) == 13  # Tron/HTX BTC reserve (2), HTX (10), El Salvador (1)
    tron = addresses_for(get_source("trongrid"))
    assert len(tron) == 2 and all(a.startswith("T") for a in tron)


def test_unknown_entity_in_the_filter_is_a_config_error(chain_sources):
    source = get_source("blockstream")
    source.extra["entities"] = ["Nobody"]
    with pytest.raises(ConfigError, match="Nobody"):
        addresses_for(source)


def test_one_day_of_every_provider_lands_and_loads(chain_sources, data_dir):
    from dwh.pipeline import load

    manifests = {s: ingest_source(s, DAY) for s in ONCHAIN}
    assert all(v["status"] == "ok" for m in manifests.values() for v in m["datasets"].values())
    stats = {k: v for k, v in load(DAY, list(ONCHAIN)).items() if not k.endswith("._streams")}
    assert len(stats) == 10 and all(v["quarantined"] == 0 for v in stats.values()), stats
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        for provider in ("mempool_space", "blockstream"):
            n = con.execute(f"SELECT count(DISTINCT address) FROM raw.{provider}__address_stats").fetchone()[0]
            assert n == 13
        balances = con.execute(
            "SELECT count(*) FROM raw.eth_rpc_a__rpc_calls WHERE call_id LIKE 'balance:%'").fetchone()
        assert balances == (30,)  # Ethereum Foundation 2, BitMEX 2, Deribit 26
        # the full node: one head block, and each of BitMEX's 2 Tron addresses read for TRX and for USDT
        node = [con.execute(f"SELECT count(*) FROM raw.tron_fullnode__{d}").fetchone()[0]
                for d in ("now_block", "accounts", "trc20_balances")]
        assert node == [1, 2, 2]
    # the throughput is measured and kept in the run manifest
    notes = manifests["mempool_space"]["datasets"]["address_stats"]["notes"]["addresses"]
    assert notes["items"] == 13 and notes["requests"] == 13 and notes["requests_per_second"] > 0


def test_history_pages_back_to_the_day_start(chain_sources, data_dir, chain_sb):
    # a backfill long after the day: the pages must reach back to D 00:00 whatever "now" is
    chain_sb.set_clock(dt.datetime(2026, 12, 20, tzinfo=dt.UTC))
    ingest_source("blockstream", DAY, datasets=["address_txs"])
    start_s = int(dt.datetime.combine(DAY, dt.time(), dt.UTC).timestamp())
    by_address: dict[str, list[int]] = {}
    for env in landed(data_dir, "blockstream", "address_txs"):
        address = env["url"].split("/address/")[1].split("/")[0]
        by_address.setdefault(address, []).extend(t["status"]["block_time"] for t in json.loads(env["body"]))
    reserve = [a for a, times in by_address.items() if len(times) > 25]
    assert reserve, "the reserve's addresses move daily: more than one page since the day"
    for times in by_address.values():
        assert min(times) < start_s


def test_close_block_is_the_last_before_midnight(chain_sources, data_dir):
    manifest = ingest_source("eth_rpc_b", DAY)
    block = manifest["datasets"]["rpc_calls"]["notes"]["close_block"]
    times = {}
    for env in landed(data_dir, "eth_rpc_b", "rpc_calls"):
        body = json.loads(env["body"])
        for answer in body if isinstance(body, list) else [body]:
            if str(answer["id"]).startswith("block:"):
                times[int(answer["result"]["number"], 16)] = int(answer["result"]["timestamp"], 16)
    close_s = int(dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(), dt.UTC).timestamp())
    assert times[block] < close_s <= times[block + 1]
    assert len(times) <= 8, f"the search should take few probes, took {len(times)}"
    balances = [a for env in landed(data_dir, "eth_rpc_b", "rpc_calls") if env["request_body"]
                and isinstance(env["request_body"], list) for a in env["request_body"]]
    assert {c["params"][1] for c in balances} == {hex(block)}


def test_a_failing_provider_fails_its_run_and_lands_the_errors(chain_sources, data_dir, chain_sb):
    chain_sb.add_fault("mempool_space", "http_500", count=-1)
    manifest = ingest_source("mempool_space", DAY, raise_on_failure=False, client_overrides=fast_client())
    entry = manifest["datasets"]["address_stats"]
    assert entry["status"] == "failed" and "13 of 13 addresses failed" in entry["error"]
    assert entry["statuses"] == {"500": 26}  # every attempt landed


def test_an_empty_history_of_an_address_with_transactions_fails(chain_sources, data_dir, chain_sb):
    # an empty first page is also what a quiet address answers: only the snapshot's tx_count tells them apart
    address = addresses_for(get_source("mempool_space"))[0]
    chain_sb.add_fault("mempool_space", "empty_page", count=1, path=f"/address/{address}/txs/chain")
    manifest = ingest_source("mempool_space", DAY, raise_on_failure=False, client_overrides=fast_client())
    assert manifest["datasets"]["address_stats"]["status"] == "ok"
    entry = manifest["datasets"]["address_txs"]
    assert entry["status"] == "failed" and "1 of 13 addresses failed" in entry["error"]
    assert "inconsistent answer" in entry["error"] and "not a quiet address" in entry["error"]


def test_per_item_rpc_errors_fail_the_dataset_and_quarantine(chain_sb, chain_sources, data_dir, monkeypatch):
    from dwh.pipeline import load

    registry = data_dir / "registry.csv"
    registry.write_text("entity,category,chain,address,citation,added_on\n"
                        "X,other,ethereum,0x00000000000000000000000000000000000000zz,test,2026-11-28\n"
                        "X,other,ethereum,0xde0b295669a9fd93d5f28d9ec85e40f4cb697bae,test,2026-11-28\n")
    sources = data_dir / "one_source.yml"
    sources.write_text(f"""sources:
  eth_rpc_a:
    kind: onchain
    chain: ethereum
    base_url: {chain_sb.url}/eth_rpc_a
    registry: {registry}
    rate_limit: {{requests_per_second: 50}}
""")
    monkeypatch.setenv("DWH_SOURCES", str(sources))
    manifest = ingest_source("eth_rpc_a", DAY, raise_on_failure=False)
    assert manifest["datasets"]["rpc_calls"]["status"] == "failed"
    assert "eth_getBalance failed for 1 addresses" in manifest["datasets"]["rpc_calls"]["error"]
    stats = load(DAY, ["eth_rpc_a"])["eth_rpc_a.rpc_calls"]
    assert stats["quarantined"] == 1 and stats["loaded"] >= 2  # the error answer aside; the good one loaded
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        reason = con.execute("SELECT reason FROM raw.quarantine WHERE source = 'eth_rpc_a'").fetchone()[0]
    assert "missing field result" in reason


@pytest.mark.parametrize("message", [
    "missing trie node 4c8a3f03 (path ) <nil>",  # geth, hash scheme
    "state 0x9d1c is not available",  # geth, path scheme
    "historical state 9d1c is not available",  # geth, path scheme with state history
    "No state available for block 0x3f9e0202",  # Nethermind
    "old data not available due to pruning",  # Erigon
    "state at block #21000000 is pruned",  # Reth
])
def test_pruned_state_answers_are_told_from_other_errors(message):
    from ingest.onchain.eth_rpc import pruned_state

    assert pruned_state({"code": -32000, "message": message})


@pytest.mark.parametrize("message", ["the method eth_getBalance does not exist/is not available",
                                     "header not found", "invalid argument 0: hex string has length 4"])
def test_other_rpc_errors_are_not_taken_for_pruned_state(message):
    from ingest.onchain.eth_rpc import pruned_state

    assert not pruned_state({"code": -32000, "message": message})


def test_a_pruned_endpoint_fails_the_day_naming_why(chain_sb, chain_sources, data_dir):
    from dwh.pipeline import load

    chain_sb.set_chains({"eth_rpc_b": {"state_window": 128}})
    try:
        manifest = ingest_source("eth_rpc_b", DAY, raise_on_failure=False)
        archive = ingest_source("eth_rpc_a", DAY, raise_on_failure=False)
    finally:
        chain_sb.clear_chains()
    error = manifest["datasets"]["rpc_calls"]["error"]
    assert manifest["datasets"]["rpc_calls"]["status"] == "failed"
    assert "not an archive node" in error and "missing trie node" in error and "batch of 30" in error
    assert archive["datasets"]["rpc_calls"]["status"] == "ok"
    stats = load(DAY, ["eth_rpc_b"])["eth_rpc_b.rpc_calls"]
    assert stats["quarantined"] == 30 and stats["loaded"] > 0  # the refusals aside; the block search loaded
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.eth_rpc_b__rpc_calls WHERE call_id LIKE 'balance:%'"
                           ).fetchone() == (0,)


def test_the_full_node_lands_a_never_activated_address_as_an_empty_account(chain_sb, chain_sources, data_dir,
                                                                           monkeypatch):
    from dwh.pipeline import load

    never, known = "TLCuBEirVzB6V4menLZKw1jfBTFMZbuKq7", next(a for a in addresses_for(get_source("trongrid")))
    registry = data_dir / "registry.csv"
    registry.write_text("entity,category,chain,address,citation,added_on\n"
                        f"X,other,tron,{never},test,2026-11-28\nX,other,tron,{known},test,2026-11-28\n")
    sources = data_dir / "one_source.yml"
    sources.write_text(f"""sources:
  tron_fullnode:
    kind: onchain
    chain: tron
    base_url: {chain_sb.url}/tron_fullnode
    registry: {registry}
    rate_limit: {{requests_per_second: 50}}
""")
    monkeypatch.setenv("DWH_SOURCES", str(sources))
    manifest = ingest_source("tron_fullnode", DAY)
    assert {d: v["status"] for d, v in manifest["datasets"].items()} == {
        "now_block": "ok", "accounts": "ok", "trc20_balances": "ok"}
    bodies = {json.loads(e["body"]).get("address", never) for e in landed(data_dir, "tron_fullnode", "accounts")}
    assert bodies == {never, known}
    stats = load(DAY, ["tron_fullnode"])
    assert [stats[f"tron_fullnode.{d}"]["quarantined"] for d in ("now_block", "accounts", "trc20_balances")] == [0] * 3
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        rows = dict(con.execute("SELECT address, (account_address, balance_sun) FROM raw.tron_fullnode__accounts"
                                ).fetchall())
        usdt = dict(con.execute("SELECT address, balance_hex FROM raw.tron_fullnode__trc20_balances").fetchall())
    assert rows[never] == (None, None) and rows[known][0] == known and rows[known][1] > 0
    assert int(usdt[never], 16) == 0 and int(usdt[known], 16) > 0
