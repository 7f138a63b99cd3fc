"""One package per venue, one registry: every venue package has the same shape, the registry is the only list of
sources, and what two channels of one venue share (field lists, keys) is defined once."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ingest.config import SourceConfig
from ingest.stream.collector import Collector
from ingest.stream.protocols import DATA_DATASET, Protocol
from ingest.venues import AGGREGATORS, MODULES, ONCHAIN, VENUES, contract_files, module_for, ws_protocols
from ingest.venues._perps import perp_symbol
from sandbox import market
from tests.conftest import PROJECT

INGEST = PROJECT / "ingest"


@pytest.mark.parametrize("venue", sorted(VENUES))
def test_every_venue_package_has_the_same_shape(venue):
    package = module_for(venue)
    folder = Path(package.__file__).parent
    assert folder == INGEST / "venues" / venue and (folder / "contract.yml").is_file()
    assert (folder / "api.py").is_file(), f"{venue}: its shared conventions belong in api.py"
    names = [d.name for d in package.DATASETS]
    assert len(names) == len(set(names)) and all(d.fetch or d.name == DATA_DATASET for d in package.DATASETS)
    assert package.perp_symbol("BTC")
    streams = DATA_DATASET in names
    assert isinstance(package.PROTOCOL, Protocol) == streams == (folder / "ws.py").is_file(), \
        f"{venue}: a websocket protocol, its ws.py and its liquidations_ws dataset come together"


def test_aggregators_are_packages_of_the_same_shape_without_a_perpetual_or_a_stream():
    for name in AGGREGATORS:
        package = module_for(name)
        folder = Path(package.__file__).parent
        assert folder == INGEST / "venues" / name and (folder / "contract.yml").is_file() and (folder / "api.py").is_file()
        assert package.DATASETS and not hasattr(package, "PROTOCOL") and not (folder / "ws.py").exists()


def test_the_registry_is_the_only_list_of_sources():
    assert MODULES == {**VENUES, **AGGREGATORS, **ONCHAIN}
    assert set(ws_protocols()) == {v for v in VENUES if module_for(v).PROTOCOL is not None} == \
        {"binance", "bybit", "okx", "bitmex", "deribit"}
    # a contract file on disk that the registry does not name would be read by nothing
    on_disk = set((INGEST / "venues").glob("*/contract.yml")) | set((INGEST / "onchain").glob("*.yml"))
    assert set(contract_files()) == on_disk
    assert not list((INGEST / "contracts").glob("*.yml")), "contracts moved beside their code"
    # nothing under ingest/venues is a venue the registry does not list
    packages = {p.name for p in (INGEST / "venues").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(VENUES) | set(AGGREGATORS)


def test_the_collector_streams_only_venues_the_registry_gives_a_protocol(tmp_path):
    hyperliquid = SourceConfig("hyperliquid", True, "venue", "http://x", ("BTC",), 1.0, ws_url="ws://x")
    with pytest.raises(ValueError, match=r"no websocket protocol for \['hyperliquid'\]"):
        Collector([hyperliquid], tmp_path)


def _dataset(venue: str, name: str):
    return next(d for d in module_for(venue).DATASETS if d.name == name)


def test_okx_orders_have_one_field_list_and_key_on_both_channels():
    rest, ws = _dataset("okx", "liquidations"), _dataset("okx", DATA_DATASET)
    assert ws.fields[:len(rest.fields)] == rest.fields and ws.key == rest.key and ws.records == rest.records
    assert [f.name for f in ws.fields[len(rest.fields):]] == ["bk_loss", "received_at"]
    # the one definition, not an equal copy
    assert all(a is b for a, b in zip(ws.fields, rest.fields))


def test_deribit_trades_share_their_fields_across_channels():
    rest, ws = _dataset("deribit", "future_trades"), _dataset("deribit", DATA_DATASET)
    shared = [f for f in ws.fields if any(f is g for g in rest.fields)]
    assert [f.name for f in shared] == ["trade_id", "instrument_name", "timestamp_ms", "price", "amount",
                                        "direction", "liquidation", "index_price"]
    # a push may lack trade_seq; the REST answer always carries it (a drifted one is quarantined there)
    seq = {d.name: next(f for f in d.fields if f.name == "trade_seq") for d in (rest, ws)}
    assert seq["future_trades"] == dataclasses.replace(seq[DATA_DATASET], required=True)


@pytest.mark.parametrize("venue", sorted(VENUES))
@pytest.mark.parametrize("asset", market.ASSETS)
def test_each_venue_names_its_perpetual_as_the_simulated_venue_does(venue, asset):
    assert perp_symbol(venue, asset) == market.perp_symbol(venue, asset)


def test_an_unknown_venue_has_no_perpetual_name():
    with pytest.raises(KeyError, match="no perpetual naming for venue 'coinglass'"):
        perp_symbol("coinglass", "BTC")
