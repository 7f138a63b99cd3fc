"""(e) The HTTP client's achieved request rate against the sandbox's rate limit, every 429 honoured.

The sandbox limits each venue to a token bucket (sandbox/ratelimit.py); the client spaces requests at
its source's configured rate and, told 429 + Retry-After, pauses every caller that long. Two runs: the
client at the rate the sandbox config gives it, and at twice the venue's limit (the 429s must then be
honoured, not retried early, and every request must still end in a 200).
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import time
from pathlib import Path
from typing import Any

from ingest.config import load_sources
from ingest.http import HttpClient
from ingest.landing import Lander
from sandbox.harness.process import running_sandbox, sandbox_sources_file

MIN_RETRY_AFTER_S = 1.0  # sandbox/ratelimit.py: Retry-After is at least one second


def _gaps_after_429(directory: Path) -> list[float]:
    """Seconds between each 429 answer and the next request the client sent (from the landed files)."""
    rows = []
    for path in directory.glob("*.ndjson.gz"):
        env = json.loads(gzip.decompress(path.read_bytes()))
        start = dt.datetime.fromisoformat(env["fetched_at"]).timestamp()
        rows.append((start, start + env["elapsed_s"], env["status"]))
    rows.sort()
    return [nxt[0] - cur[1] for cur, nxt in zip(rows, rows[1:]) if cur[2] == 429]


def _run(url: str, rate: float, requests: int, root: Path, label: str) -> dict[str, Any]:
    lander = Lander(root, "binance", f"rate_{label}", dt.date(2026, 11, 26), f"bench-{label}")
    client = HttpClient(url + "/binance", source="binance", requests_per_second=rate, timeout_s=10,
                        max_attempts=20, backoff_base_s=0.05, max_retry_after_s=10, on_response=lander)
    started = time.perf_counter()
    ok = 0
    with client:
        for i in range(requests):
            body = client.get_json("/fapi/v1/fundingRate", {"symbol": "BTCUSDT", "limit": 1 + i % 5})
            ok += isinstance(body, list)
    seconds = time.perf_counter() - started
    s = client.stats
    gaps = _gaps_after_429(lander.dir)
    return {"client_rate": rate, "requests": requests, "ok": ok, "seconds": round(seconds, 2),
            "achieved_rps": round(ok / seconds, 1), "attempts": s["requests"], "throttled_429": s["throttled"],
            "retry_after_waited_s": round(s["retry_after_waited_s"], 2), "landed": lander.count,
            "statuses": {str(k): v for k, v in sorted(lander.statuses.items())},
            "min_gap_after_429_s": round(min(gaps), 3) if gaps else None,
            # the sandbox never says less than 1 s: a request sooner than that after a 429 ignored it
            "unhonoured_429": sum(1 for g in gaps if g < MIN_RETRY_AFTER_S - 0.05)}


def measure(root: Path, requests: int = 400) -> dict[str, Any]:
    from sandbox.ratelimit import REQUESTS_PER_SECOND

    with running_sandbox() as sb:  # limits on (scale 1): the venue's own token bucket
        sources = load_sources(sandbox_sources_file(sb.url, root / "sources.yml"))
        configured = sources["binance"].requests_per_second
        limit = REQUESTS_PER_SECOND["binance"]
        runs = [_run(sb.url, configured, requests, root, "configured"),
                _run(sb.url, 2 * limit, requests, root, "twice_the_limit")]
    for r in runs:
        r["limit_rps"] = limit
        r["achieved_over_limit"] = round(r["achieved_rps"] / limit, 3)
    return {"venue": "binance", "limit_rps": limit, "configured_rps": configured, "runs": runs}
