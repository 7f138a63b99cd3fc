"""The sources file is validated on load: every mistake is one line naming the file, the source and the key,
raised before any request; the files the project and its tests use all pass."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ingest.config import ConfigError, load_sources
from ingest.http import HttpClient, RateLimiter
from tests.conftest import PROJECT

GOOD = {
    "bitmex": {"enabled": True, "kind": "venue", "base_url": "https://www.bitmex.com",
               "ws_url": "wss://ws.bitmex.com/realtime", "assets": ["BTC", "ETH"], "liquidations": ["websocket"],
               "rate_limit": {"requests_per_second": 1}},
    "trongrid": {"kind": "onchain", "chain": "tron", "base_url": "https://api.trongrid.io",
                 "api_key_env": "TRONGRID_API_KEY", "api_key_header": "TRON-PRO-API-KEY",
                 "rate_limit": {"requests_per_second": 8}, "concurrency": 2},
}


def write(tmp_path: Path, sources: dict) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump({"sources": sources}, sort_keys=False))
    return path


def with_change(source: str, key: str, value) -> dict:
    doc = yaml.safe_load(yaml.safe_dump(GOOD))
    block = doc[source]
    *parents, last = key.split(".")
    for p in parents:
        block = block.setdefault(p, {})
    block[last] = value
    return doc


@pytest.mark.parametrize("source, key, value, line", [
    ("bitmex", "rate_limit.requests_per_second", -5,
     "sources.bitmex.rate_limit.requests_per_second: must be > 0, got -5"),
    ("bitmex", "rate_limit.requests_per_second", 0,
     "sources.bitmex.rate_limit.requests_per_second: must be > 0, got 0"),
    ("bitmex", "rate_limit.requests_per_second", "5",
     "sources.bitmex.rate_limit.requests_per_second: must be a number, got str '5'"),
    ("bitmex", "rate_limit.rps", 5, "sources.bitmex.rate_limit.rps: unknown key in rate_limit"),
    ("bitmex", "base_url", 12, "sources.bitmex.base_url: must be a string, got int 12"),
    ("bitmex", "base_url", "www.bitmex.com", "sources.bitmex.base_url: must be an http(s) URL with a host"),
    ("bitmex", "base_url", "ftp://www.bitmex.com", "sources.bitmex.base_url: must be an http(s) URL with a host"),
    ("bitmex", "ws_url", "https://ws.bitmex.com/realtime", "sources.bitmex.ws_url: must be a ws(s) URL with a host"),
    ("bitmex", "assets", ["BTC", "DOGE"], "sources.bitmex.assets.1: must be one of 'BTC' or 'ETH', got 'DOGE'"),
    ("bitmex", "assets", [], "sources.bitmex.assets: must not be empty"),
    ("bitmex", "assests", ["BTC"], "sources.bitmex.assests: unknown key for a venue source"),
    ("bitmex", "enabled", "no", "sources.bitmex.enabled: must be true or false, got str 'no'"),
    ("bitmex", "liquidations", ["rest", "poll"], "sources.bitmex.liquidations.1: must be one of 'rest' or 'websocket'"),
    ("bitmex", "kind", "onchain", "sources.bitmex.kind: ingest.venues.bitmex is a venue module, got 'onchain'"),
    ("bitmex", "options_base_url", "https://eapi.binance.com",
     "sources.bitmex.options_base_url: not read for this source (only by ingest.venues.binance)"),
    ("bitmex", "plan", "hobbyist", "sources.bitmex.plan: not read for this source (only by ingest.venues.coinglass)"),
    ("trongrid", "chain", "solana", "sources.trongrid.chain: must be one of 'bitcoin', 'ethereum' or 'tron'"),
    ("trongrid", "concurrency", 0, "sources.trongrid.concurrency: must be >= 1, got 0"),
    ("trongrid", "assets", ["BTC"], "sources.trongrid.assets: unknown key for an onchain source"),
    ("trongrid", "api_key_env", "TRONGRID KEY", "sources.trongrid.api_key_env: must match"),
])
def test_each_mistake_is_one_line_naming_file_source_and_key(tmp_path, source, key, value, line):
    path = write(tmp_path, with_change(source, key, value))
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    assert len(err.value.problems) == 1 and err.value.problems[0].startswith(f"{path}: {line}"), err.value.problems
    assert "\n" not in err.value.problems[0]


def test_unknown_source_and_every_problem_at_once(tmp_path):
    doc = with_change("bitmex", "base_url", 12)
    doc["bitmexx"] = dict(GOOD["bitmex"])
    path = write(tmp_path, doc)
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    problems = err.value.problems
    assert problems[0] == f"{path}: sources.bitmex.base_url: must be a string, got int 12"
    assert problems[1].startswith(f"{path}: sources.bitmexx: unknown source (no ingest module; known: binance,")
    assert str(err.value).splitlines() == problems


def test_not_yaml_and_not_a_mapping(tmp_path):
    path = tmp_path / "sources.yml"
    path.write_text("sources:\n  bitmex: {base_url: [\n")
    with pytest.raises(ConfigError, match=r"sources.yml: not valid YAML: "):
        load_sources(path)
    path.write_text("sources:\n  bitmex: https://www.bitmex.com\n")
    with pytest.raises(ConfigError, match=r"sources.bitmex: must be a mapping, got str"):
        load_sources(path)
    path.write_text("source:\n  bitmex: {}\n")
    with pytest.raises(ConfigError, match=r"source: unknown top-level key"):
        load_sources(path)


@pytest.mark.parametrize("name", ["sources.yml", "sandbox.yml"])
def test_the_project_files_pass(name):
    sources = load_sources(PROJECT / "config" / name)
    assert {"binance", "mempool_space", "trongrid"} <= set(sources)
    binance = sources["binance"]
    assert binance.url("options_base_url").startswith("http") and binance.requests_per_second > 0
    assert binance.extra["liquidations"] == ["websocket"]


def test_the_sandbox_file_the_tests_write_passes(tmp_path):
    from sandbox.harness.process import sandbox_sources_file

    path = sandbox_sources_file("http://127.0.0.1:1234", tmp_path / "sources.yml", {"okx": False})
    sources = load_sources(path)
    assert sources["okx"].enabled is False and sources["okx"].base_url == "http://127.0.0.1:1234/okx"
    assert sources["okx"].ws_url == "ws://127.0.0.1:1234/okx/ws/v5/public"


def test_a_block_without_kind_is_its_modules_kind(tmp_path):
    path = write(tmp_path, {"eth_rpc_a": {"chain": "ethereum", "base_url": "http://127.0.0.1:9/eth"},
                            "bybit": {"base_url": "http://127.0.0.1:9/bybit", "assets": ["BTC"]}})
    sources = load_sources(path)
    assert sources["eth_rpc_a"].kind == "onchain" and sources["bybit"].kind == "venue"
    assert sources["bybit"].requests_per_second == 5.0  # the documented default without rate_limit


@pytest.mark.parametrize("rate", [0, -5, float("nan"), float("inf"), None])
def test_the_client_refuses_a_rate_limit_that_would_not_limit(rate):
    # it used to read <= 0 as "no limit at all"
    with pytest.raises(ValueError, match="requests_per_second must be a finite number > 0"):
        RateLimiter(rate)
    with pytest.raises(ValueError, match="requests_per_second"):
        HttpClient("http://127.0.0.1:9", source="test", requests_per_second=rate)


def test_the_schema_accepts_exactly_the_keys_the_code_reads():
    """A key in the schema that no code reads would be accepted and ignored; a key the code reads that the
    schema lacks would be refused in every file that sets it. Both directions, from the source text."""
    import re

    from ingest.config_schema import MODELS, RateLimit

    direct = {"enabled", "kind", "base_url", "ws_url", "assets", "rate_limit"}  # SourceConfig's own fields
    schema = {k for model in MODELS.values() for k in model.model_fields} - direct
    read: dict[str, str] = {}
    for path in sorted((PROJECT / "ingest").rglob("*.py")):
        if path.name in ("config.py", "config_schema.py"):
            continue
        text = path.read_text()
        for key in re.findall(r"\.extra(?:\.get\(|\[)\s*[\"'](\w+)[\"']", text) + \
                re.findall(r"\.url\(\s*[\"'](\w+)[\"']\s*\)", text) + \
                re.findall(r"[\"'](\w+)[\"']\s+(?:not\s+)?in\s+(?:\w+\.)*extra\b", text):
            read.setdefault(key, str(path.relative_to(PROJECT)))
    assert set(read) - schema == set(), {k: read[k] for k in set(read) - schema}
    assert schema - set(read) == set(), "in the schema but read by no code: " + ", ".join(sorted(schema - set(read)))
    assert set(RateLimit.model_fields) == {"requests_per_second"}
