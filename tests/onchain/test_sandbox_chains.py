"""The sandbox's on-chain providers: real shapes, errors, and a world consistent with the balance model."""
from __future__ import annotations

import datetime as dt

import httpx
import pytest

from sandbox import entities
from sandbox.chains import world
from sandbox.market import DEMO_START
from tests.onchain.conftest import DAY, RUN_AT

SEED = 7
RESERVE = [a for e, c, a in world.registry() if e == "Tron/HTX BTC reserve"]
EF = [a for e, c, a in world.registry() if e == "Ethereum Foundation"]
NOW_MS = int(RUN_AT.timestamp() * 1000)


@pytest.fixture()
def http(chain_sb):
    chain_sb.clear_faults()
    chain_sb.set_clock(RUN_AT)
    with httpx.Client(base_url=chain_sb.url, timeout=10) as c:
        yield c


def test_registry_entities_play_the_model():
    assert len(RESERVE) == 2 and len(EF) == 2
    # the reserve grows, the foundation's ether falls, over the demo
    start, end = DEMO_START, DAY
    def change(chain: str, provider: str, addresses: list[str]) -> float:
        return sum(world.close(SEED, chain, a, end, provider) - world.close(SEED, chain, a, start, provider)
                   for a in addresses)

    grow, fall = change("bitcoin", "blockstream", RESERVE), change("ethereum", "etherscan", EF)
    assert grow > 0 and fall < 0
    # exactly one registry address is read differently by the second Bitcoin provider
    differ = [a for a in RESERVE if world.close(SEED, "bitcoin", a, DAY, "blockstream")
              != world.close(SEED, "bitcoin", a, DAY, "mempool")]
    assert differ == [RESERVE[0]] and world.stand_in("bitcoin", RESERVE[0]) == entities.DISPUTED_ADDRESS


@pytest.mark.parametrize("address", RESERVE + ["32ixEdVJWo3kmvJGMTZq5jAQVZZeuwnqzo"])
def test_bitcoin_history_adds_up_to_every_close(address):
    txs = world.btc_txs(SEED, address, NOW_MS)
    for day in (DAY - dt.timedelta(days=30), DAY - dt.timedelta(days=1), DAY):
        close_s = int(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC).timestamp())
        rebuilt = sum(t.delta(address) for t in txs if t.block_time < close_s)
        assert rebuilt == round(world.close(SEED, "bitcoin", address, day, "blockstream") * 1e8)


def test_esplora_address_and_paged_history(http):
    address = RESERVE[1]
    for provider in ("mempool_space", "blockstream"):
        body = http.get(f"/{provider}/api/address/{address}").json()
        assert body["address"] == address and set(body) == {"address", "chain_stats", "mempool_stats"}
        stats = body["chain_stats"]
        assert set(stats) == {"funded_txo_count", "funded_txo_sum", "spent_txo_count", "spent_txo_sum", "tx_count"}
    seen, last, pages = [], None, 0
    while True:
        page = http.get(f"/blockstream/api/address/{address}/txs/chain" + (f"/{last}" if last else "")).json()
        pages += 1
        seen += page
        if len(page) < 25:
            break
        last = page[-1]["txid"]
    assert len(seen) == stats["tx_count"] and pages == stats["tx_count"] // 25 + 1
    assert len({t["txid"] for t in seen}) == len(seen)
    heights = [t["status"]["block_height"] for t in seen]
    assert heights == sorted(heights, reverse=True)  # newest first
    tx = seen[0]
    assert {"txid", "vin", "vout", "fee", "status"} <= set(tx)
    assert {"scriptpubkey_address", "value"} <= set(tx["vin"][0]["prevout"])
    assert tx["fee"] == sum(i["prevout"]["value"] for i in tx["vin"]) - sum(o["value"] for o in tx["vout"])
    funded = sum(o["value"] for t in seen for o in t["vout"] if o["scriptpubkey_address"] == address)
    spent = sum(i["prevout"]["value"] for t in seen for i in t["vin"]
                if i["prevout"]["scriptpubkey_address"] == address)
    assert funded - spent == stats["funded_txo_sum"] - stats["spent_txo_sum"]


def test_esplora_errors_are_plain_text(http):
    bad = http.get("/mempool_space/api/address/not-an-address")
    assert bad.status_code == 400 and bad.text == "Invalid Bitcoin address"
    assert http.get(f"/blockstream/api/address/{RESERVE[0]}/txs/chain/{'0' * 64}").status_code == 400


def test_json_rpc_batch_ids_errors_and_limits(http):
    calls = [{"jsonrpc": "2.0", "id": f"balance:{a}", "method": "eth_getBalance", "params": [a, "latest"]} for a in EF]
    calls.append({"jsonrpc": "2.0", "id": 7, "method": "eth_getBalance", "params": ["0x1234", "latest"]})
    calls.append({"jsonrpc": "2.0", "id": 8, "method": "eth_nope", "params": []})
    answers = {a["id"]: a for a in http.post("/eth_rpc_a/", json=calls).json()}
    for a in EF:
        assert int(answers[f"balance:{a}"]["result"], 16) > 0
    assert answers[7]["error"]["code"] == -32602 and answers[8]["error"]["code"] == -32601
    too_many = http.post("/eth_rpc_b/", json=[calls[0]] * 101).json()
    assert isinstance(too_many, dict) and too_many["error"]["code"] == -32600
    head_call = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}
    head = int(http.post("/eth_rpc_a/", json=head_call).json()["result"], 16)
    future = http.post("/eth_rpc_a/", json={"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance",
                                            "params": [EF[0], hex(head + 5)]}).json()
    assert future["error"] == {"code": -32000, "message": "header not found"}


def test_eth_blocks_follow_the_slot_clock():
    head = world.eth_head(NOW_MS)
    assert world.eth_block_time(head) <= NOW_MS // 1000 < world.eth_block_time(head + 1)
    gaps = {world.eth_block_time(n + 1) - world.eth_block_time(n) for n in range(head - 100, head)}
    assert gaps == {12, 24}  # a missed slot every 40 blocks


def test_trongrid_account_shape_and_errors(http):
    address = next(a for e, c, a in world.registry() if c == "tron")
    body = http.get(f"/trongrid/v1/accounts/{address}").json()
    assert body["success"] is True and body["meta"]["page_size"] == 1 and body["meta"]["at"] == NOW_MS
    account = body["data"][0]
    assert account["address"].startswith("41") and account["balance"] > 0
    assert world.USDT_TRC20 in account["trc20"][0]
    unknown = http.get("/trongrid/v1/accounts/TLCuBEirVzB6V4menLZKw1jfBTFMZbuKq7").json()
    assert unknown["success"] is True and unknown["data"] == []
    bad = http.get(f"/trongrid/v1/accounts/{address[:-1]}x")
    assert bad.status_code == 400 and bad.json()["success"] is False
    assert http.get(f"/trongrid/v1/accounts/{address}", headers={"TRON-PRO-API-KEY": "nope"}).status_code == 401


def test_providers_share_the_fault_and_limit_machinery(http, chain_sb):
    chain_sb.add_fault("mempool_space", "http_429", count=1)
    throttled = http.get(f"/mempool_space/api/address/{RESERVE[0]}")
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    chain_sb.add_fault("eth_rpc_b", "http_500", count=1)
    failed = http.post("/eth_rpc_b/", json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"})
    assert failed.status_code == 500 and failed.json()["error"]["code"] == -32603


def test_tron_full_node_serves_the_same_world_in_its_own_format(http):
    address = next(a for e, c, a in world.registry() if c == "tron")
    grid = http.get(f"/trongrid/v1/accounts/{address}").json()["data"][0]
    account = http.post("/tron_fullnode/wallet/getaccount", json={"address": address, "visible": True}).json()
    assert account["address"] == address and account["balance"] == grid["balance"]  # base58 when visible
    head = http.post("/tron_fullnode/wallet/getnowblock", json={}).json()["block_header"]["raw_data"]
    assert head["timestamp"] <= NOW_MS < head["timestamp"] + 3_000 and head["number"] > 0
    from ingest.onchain.tron_fullnode import balance_of_request  # the request the ingest sends

    call = http.post("/tron_fullnode/wallet/triggerconstantcontract", json=balance_of_request(address)).json()
    assert call["result"] == {"result": True} and call["transaction"]["raw_data"]["timestamp"] == NOW_MS
    assert int(call["constant_result"][0], 16) == int(grid["trc20"][0][world.USDT_TRC20])
    # an address never activated: `{}` from getaccount, a zero from the token contract
    never = "TLCuBEirVzB6V4menLZKw1jfBTFMZbuKq7"
    assert http.post("/tron_fullnode/wallet/getaccount", json={"address": never, "visible": True}).json() == {}
    zero = http.post("/tron_fullnode/wallet/triggerconstantcontract", json=balance_of_request(never)).json()
    assert int(zero["constant_result"][0], 16) == 0
    # what java-tron's servlets answer to a body they cannot use: 200 with an Error member
    bad = http.post("/tron_fullnode/wallet/getaccount", json={"address": address[:-1] + "x", "visible": True})
    assert bad.status_code == 200 and "Invalid address" in bad.json()["Error"]


def test_an_ethereum_endpoint_can_be_a_pruned_node(http, chain_sb):
    head_call = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}
    head = int(http.post("/eth_rpc_b/", json=head_call).json()["result"], 16)

    def balance(endpoint: str, number: int) -> dict:
        return http.post(f"/{endpoint}/", json={"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance",
                                                "params": [EF[0], hex(number)]}).json()

    assert "result" in balance("eth_rpc_b", head - 200)  # an archive node by default
    try:
        assert http.post("/_sandbox/chains", json={"eth_rpc_b": {"state_window": 128}}).json()["eth_rpc_b"] == {
            "state_window": 128}
        old = balance("eth_rpc_b", head - 200)
        assert old["error"]["code"] == -32000 and old["error"]["message"].startswith("missing trie node ")
        assert "result" in balance("eth_rpc_b", head - 100)  # inside the window
        assert "result" in balance("eth_rpc_a", head - 200)  # the other endpoint keeps its history
        block = http.post("/eth_rpc_b/", json={"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber",
                                               "params": [hex(head - 200), False]}).json()
        assert block["result"]["number"] == hex(head - 200)  # headers stay readable
        for wrong in ({"nobody": {"state_window": 1}}, {"eth_rpc_a": {"state_window": 0}},
                      {"eth_rpc_a": {"window": 5}}):
            assert http.post("/_sandbox/chains", json=wrong).status_code == 400
    finally:
        assert http.delete("/_sandbox/chains").json()["eth_rpc_b"] == {"state_window": None}
    assert "result" in balance("eth_rpc_b", head - 200)
