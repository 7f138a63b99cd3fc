"""Every registry address, one day, against the sandbox: it has to fit in a daily run. Prints the throughput.

The providers run in parallel as the DAG runs them (one task each). The sandbox's limits are raised
(`--rate-limit-scale 4`, 200 requests/s per provider) and the clients configured to match, so this measures
the ingest, not the limiter. Against the real providers the configured rates (config/sources.yml) decide:
~1,050 Bitcoin addresses x 2 reads at 4/s is ~9 minutes per Esplora provider.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from tests.onchain.conftest import DAY, ONCHAIN

pytestmark = pytest.mark.slow
RATE = 200


@pytest.fixture()
def fast_sandbox(data_dir, monkeypatch):
    from sandbox.harness.process import running_sandbox, sandbox_sources_file

    with running_sandbox(extra_args=["--rate-limit-scale", str(RATE / 50)]) as sb:
        path = sandbox_sources_file(sb.url, data_dir / "sources.yml")
        doc = yaml.safe_load(path.read_text())
        for name in ONCHAIN:
            block = doc["sources"][name]
            block.pop("entities", None)  # the whole registry
            block["rate_limit"] = {"requests_per_second": RATE}
            block["concurrency"] = 8
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        monkeypatch.setenv("DWH_SOURCES", str(path))
        sb.set_clock(dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(0, 30), tzinfo=dt.UTC))
        yield sb


def test_the_whole_registry_in_one_run(fast_sandbox, data_dir, tmp_path):
    from dwh.pipeline import load
    from ingest.onchain.registry import DEFAULT_REGISTRY
    from ingest.run import ingest_source

    with DEFAULT_REGISTRY.open(newline="") as fh:
        per_chain: dict[str, int] = {}
        for row in csv.DictReader(fh):
            per_chain[row["chain"]] = per_chain.get(row["chain"], 0) + 1
    started = time.time()
    with ThreadPoolExecutor(len(ONCHAIN)) as pool:
        manifests = dict(zip(ONCHAIN, pool.map(lambda s: ingest_source(s, DAY), ONCHAIN)))
    ingest_s = time.time() - started
    started = time.time()
    loaded = load(DAY, list(ONCHAIN))
    load_s = time.time() - started

    report = {"ingest_seconds": round(ingest_s, 1), "load_seconds": round(load_s, 1), "providers": {}}
    for source, manifest in manifests.items():
        for dataset, entry in manifest["datasets"].items():
            assert entry["status"] == "ok", (source, dataset, entry.get("error"))
            work = entry["notes"].get("addresses") or entry["notes"].get("batches")
            if work is None:  # one request, not a pool over the registry (the full node's head block)
                assert entry["responses"] == 1, (source, dataset, entry)
                continue
            report["providers"][f"{source}.{dataset}"] = {
                "responses": entry["responses"], "seconds": entry["seconds"],
                "requests_per_second": work["requests_per_second"], "items": work["items"]}
    print("\nfull registry, one day:\n" + json.dumps(report, indent=2))
    (tmp_path / "full_registry.json").write_text(json.dumps(report, indent=2))

    chain_of = {"mempool_space": "bitcoin", "blockstream": "bitcoin", "trongrid": "tron"}
    for source, chain in chain_of.items():
        first = next(iter(manifests[source]["datasets"].values()))
        assert first["notes"]["addresses"]["items"] == per_chain[chain]
    for dataset in ("accounts", "trc20_balances"):
        assert manifests["tron_fullnode"]["datasets"][dataset]["notes"]["addresses"]["items"] == per_chain["tron"]
    stats = loaded["mempool_space.address_stats"]
    assert stats["loaded"] == per_chain["bitcoin"] and stats["quarantined"] == 0
    balances = loaded["eth_rpc_a.rpc_calls"]["loaded"]
    assert balances >= per_chain["ethereum"]  # plus the close-block probes
    assert ingest_s < 600, "a day of the whole registry must fit well inside the daily run"
