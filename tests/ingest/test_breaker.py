"""The per-source circuit breaker: connection-level failures in a row open it for the host, any HTTP answer
(429 and 5xx included) resets it, and a source whose hosts are dead ends at once with the cause."""
from __future__ import annotations

import datetime as dt
import time

import pytest
import yaml

from ingest.http import CircuitBreaker, CircuitOpen, HttpClient, SourceError
from ingest.run import ingest_source
from sandbox.harness.process import free_port
from tests.ingest.test_http import server  # noqa: F401  (the scripted local server fixture)

FAST = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05}


def closed_port_url(path: str = "") -> str:
    # a loopback port nothing listens on: connection refused, never a packet off this machine
    return f"http://127.0.0.1:{free_port()}{path}"


def test_opens_after_n_consecutive_connection_failures_then_fails_at_once():
    url = closed_port_url()
    with HttpClient(url, source="test", requests_per_second=100, max_attempts=10, breaker_threshold=3,
                    **FAST) as c:
        with pytest.raises(CircuitOpen) as err:
            c.get_json("/x")
        assert c.stats["transport_errors"] == 3  # not the 10 attempts the retries would have made
        assert "3 consecutive connection failures" in str(err.value)
        assert "NewConnectionError" in str(err.value) and "Connection refused" in str(err.value)
        assert err.value.host == url.split("//")[1]
        before, t0 = c.stats["requests"], time.monotonic()
        for _ in range(50):
            with pytest.raises(CircuitOpen):
                c.get_json("/y")
        assert c.stats["requests"] == before and time.monotonic() - t0 < 0.5  # nothing sent, no waiting
    assert isinstance(err.value, SourceError)  # callers that catch SourceError still catch it


def test_a_success_resets_the_count(server):  # noqa: F811
    script, url = server
    # two resets, an answer, two resets, an answer: never three in a row
    script.plan = ["reset", "reset", "ok", "reset", "reset", "ok"]
    with HttpClient(url, source="test", requests_per_second=100, breaker_threshold=3, **FAST) as c:
        assert c.get_json("/x")
        assert c.get_json("/x")
        assert c.breaker.opened == {} and c.stats["transport_errors"] == 4


def test_http_errors_do_not_open_it(server):  # noqa: F811
    script, url = server
    script.plan = ["429", "500", "500", "500", "ok"]  # the venue speaking: retried, honoured, never "dead"
    with HttpClient(url, source="test", requests_per_second=100, breaker_threshold=2, **FAST) as c:
        assert c.get_json("/x")
        script.plan = ["500"]
        with pytest.raises(SourceError, match="failed after 6 attempts: HTTP 500") as err:
            c.get_json("/x")
        assert not isinstance(err.value, CircuitOpen) and c.breaker.opened == {}


def test_one_breaker_per_host_shared_by_a_sources_clients(server):  # noqa: F811
    script, url = server
    dead = closed_port_url()
    breaker = CircuitBreaker("test", threshold=2)
    with HttpClient(url, source="test", requests_per_second=100, breaker=breaker, **FAST) as a:
        with pytest.raises(CircuitOpen):
            a.get_json("/x", base_url=dead)  # e.g. Binance's options host down
        assert a.get_json("/x")  # its futures host still answers
    with HttpClient(url, source="test", requests_per_second=100, breaker=breaker, **FAST) as b:
        sent = b.stats["requests"]
        with pytest.raises(CircuitOpen):  # the next dataset's client does not try the dead host again
            b.get_json("/z", base_url=dead)
        assert b.stats["requests"] == sent
    assert list(breaker.opened) == [dead.split("//")[1]]


def test_a_dead_provider_ends_at_once_and_its_dependent_dataset_is_skipped(tmp_path):
    # 300 registry addresses, four threads: the old client retried each address six times in turn
    registry = tmp_path / "registry.csv"
    registry.write_text("entity,category,chain,address,citation,added_on\n" + "".join(
        f"E{i},cex,bitcoin,bc1qdead{i:04d},test,2026-01-01\n" for i in range(300)))
    sources = tmp_path / "sources.yml"
    sources.write_text(yaml.safe_dump({"sources": {"mempool_space": {
        "kind": "onchain", "chain": "bitcoin", "base_url": closed_port_url("/api"), "registry": str(registry),
        "rate_limit": {"requests_per_second": 50}, "concurrency": 4}}}))
    t0 = time.monotonic()
    manifest = ingest_source("mempool_space", dt.date(2026, 12, 4), root=tmp_path / "data", sources_file=sources,
                             raise_on_failure=False, client_overrides=FAST)
    assert time.monotonic() - t0 < 20
    stats = manifest["datasets"]["address_stats"]
    assert stats["status"] == "failed" and "unreachable" in stats["error"] and "Connection refused" in stats["error"]
    assert stats["http"]["requests"] <= 4 + 4  # the breaker's count, plus what the other threads had in flight
    assert "mempool_space: 300 of 300 addresses unread: mempool_space: 127.0.0.1:" in stats["error"]
    txs = manifest["datasets"]["address_txs"]
    assert txs["status"] == "skipped" and txs["skipped_because"] == "address_stats"
    assert txs["error"].startswith("input dataset address_stats failed: SourceError: mempool_space: ")
    assert txs["responses"] == 0 and "http" not in txs
    [(host, why)] = manifest["unreachable"].items()
    assert host.startswith("127.0.0.1:") and "4 consecutive connection failures" in why


def test_binance_options_skipped_because_their_symbols_failed_and_failed_when_asked_alone(tmp_path):
    sources = tmp_path / "sources.yml"
    sources.write_text(yaml.safe_dump({"sources": {"binance": {
        "kind": "venue", "base_url": closed_port_url(), "options_base_url": closed_port_url(),
        "assets": ["BTC"], "rate_limit": {"requests_per_second": 50}}}}))
    day = dt.date(2026, 12, 4)
    manifest = ingest_source("binance", day, root=tmp_path / "data", sources_file=sources, raise_on_failure=False,
                             client_overrides=FAST)
    entries = manifest["datasets"]
    assert entries["option_symbols"]["status"] == "failed"
    oi = entries["option_open_interest"]
    assert oi["status"] == "skipped" and oi["skipped_because"] == "option_symbols"
    assert oi["error"].startswith("input dataset option_symbols failed: ") and "unreachable" in oi["error"]
    assert all(v["status"] == "failed" for k, v in entries.items() if k != "option_open_interest")
    assert len(manifest["unreachable"]) == 2  # the futures host and the options host, each with its cause
    alone = ingest_source("binance", day, root=tmp_path / "data", sources_file=sources, raise_on_failure=False,
                          datasets=["option_open_interest"], client_overrides=FAST)
    entry = alone["datasets"]["option_open_interest"]
    assert entry["status"] == "failed"
    assert "option expiries unknown: run option_symbols first in the same run" in entry["error"]
