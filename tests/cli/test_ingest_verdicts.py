"""Which sources a run calls failed, and which a backfill leaves unfinished (dwh.pipeline.failed_sources)."""
from __future__ import annotations

from dwh.pipeline import failed_sources

MANIFESTS = [
    {"source": "okx", "datasets": {"funding_rates": {"status": "failed", "error": "HTTP 500"},
                                   "instruments": {"status": "ok"}}},
    {"source": "coinglass", "datasets": {"liquidation_history": {"status": "skipped", "error": "no API key"}}},
    {"source": "bybit", "datasets": {"funding_rates": {"status": "ok"}}},
]


def test_a_run_fails_only_what_failed():
    # an aggregator without its key is skipped by design: the run (and the DAG's ingest task) does not fail
    assert failed_sources(MANIFESTS) == {"okx": ["funding_rates"]}


def test_a_backfill_leaves_what_did_not_end_ok_unfinished():
    # ... but its day is not done: a backfill fetches it again on its next call
    assert failed_sources(MANIFESTS, unfinished=True) == {"okx": ["funding_rates"],
                                                          "coinglass": ["liquidation_history"]}
