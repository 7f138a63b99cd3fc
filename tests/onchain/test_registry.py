"""The entity registry seed: built from DefiLlama's lists by scripts/build_entity_registry.py."""
from __future__ import annotations

import csv
import importlib.util
import json

import pytest

from tests.conftest import PROJECT

SEED = PROJECT / "dbt_project" / "seeds" / "entity_addresses.csv"
EXTRACT = PROJECT / "tests" / "fixtures" / "defillama" / "entity_addresses_extract.json"  # vendored


def builder():
    path = PROJECT / "scripts" / "build_entity_registry.py"
    spec = importlib.util.spec_from_file_location("build_entity_registry", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed_rows() -> list[dict]:
    with SEED.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_seed_rows_are_well_formed():
    rows = seed_rows()
    assert rows and set(rows[0]) == {"entity", "category", "chain", "address", "citation", "added_on"}
    assert {r["category"] for r in rows} <= {"exchange", "foundation", "government", "fund", "other"}
    assert {r["chain"] for r in rows} == {"bitcoin", "ethereum", "tron"}
    assert len({(r["chain"], r["address"]) for r in rows}) == len(rows)
    assert all(r["citation"].startswith("DefiLlama/DefiLlama-Adapters@") for r in rows)
    by_key = {(r["entity"], r["chain"]): r for r in rows}
    assert by_key[("Tron/HTX BTC reserve", "bitcoin")]["category"] == "other"
    assert by_key[("Tron/HTX BTC reserve", "bitcoin")]["citation"].endswith(
        "projects/helper/bitcoin-book/index.js:tronBTC")
    assert by_key[("Ethereum Foundation", "ethereum")]["citation"].endswith(
        "registries/treasury.js:treasury/eth-foundation")
    assert by_key[("El Salvador", "bitcoin")]["category"] == "government"


def test_seed_is_what_the_script_makes_of_the_extract(tmp_path):
    module = builder()
    out = tmp_path / "entity_addresses.csv"
    out.write_bytes(SEED.read_bytes())  # so that `added_on` is carried over like a real re-run
    assert module.main(["--extract", str(EXTRACT), "--out", str(out), "--added-on", "2099-01-01"]) == 0
    assert out.read_text() == SEED.read_text()
    extract = json.loads(EXTRACT.read_text())
    assert len([r for r in seed_rows() if r["entity"] == "Mt. Gox"]) == len(extract["bitcoin-book/index.js:mtGox"])


def test_a_list_without_an_owner_decision_stops_the_build():
    with pytest.raises(SystemExit, match="without an owner decision"):
        builder().build({"bitcoin-book/index.js:newExchange": ["1abc"]}, {}, "2026-11-28")


def test_an_address_claimed_by_two_owners_stops_the_build():
    extract = {"bitcoin-book/index.js:binance": ["1abc"], "bitcoin-book/index.js:bybit": ["1abc"]}
    with pytest.raises(SystemExit, match="claimed by"):
        builder().build(extract, {}, "2026-11-28")
