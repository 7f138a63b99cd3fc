"""Reproducible answers (same seed and clock: same bytes) and the command line."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx

from sandbox.server import SandboxServer
from tests.sandbox._helpers import DAY_END, DAY_START, PROJECT_ROOT

GETS = [
    ("/binance/fapi/v1/fundingRate", {"symbol": "BTCUSDT", "startTime": DAY_START - 86_400_000 * 5}),
    ("/binance/fapi/v1/exchangeInfo", {}),
    ("/bybit/v5/market/funding/history", {"category": "linear", "symbol": "ETHUSDT"}),
    ("/bybit/v5/market/instruments-info", {"category": "option", "baseCoin": "ETH"}),
    ("/okx/api/v5/public/funding-rate-history", {"instId": "ETH-USDT-SWAP"}),
    ("/okx/api/v5/public/instruments", {"instType": "OPTION", "instFamily": "BTC-USD"}),
    ("/deribit/api/v2/public/get_funding_rate_history",
     {"instrument_name": "ETH-PERPETUAL", "start_timestamp": DAY_START, "end_timestamp": DAY_END}),
    ("/deribit/api/v2/public/get_instruments", {"currency": "BTC"}),
    ("/bitmex/api/v1/funding", {"symbol": "ETHUSD", "reverse": "true"}),
    ("/bitmex/api/v1/instrument", {}),
]
POSTS = [{"type": "fundingHistory", "coin": "ETH", "startTime": DAY_START}, {"type": "metaAndAssetCtxs"}]


def _answers(seed: int) -> list[bytes]:
    with SandboxServer(seed=seed, rate_limit_scale=0) as server, httpx.Client(base_url=server.url) as c:
        out = [c.get(path, params=params).content for path, params in GETS]
        out += [c.post("/hyperliquid/info", json=body).content for body in POSTS]
    return out


def test_same_seed_gives_the_same_bytes():
    first, second, other = _answers(7), _answers(7), _answers(8)
    assert first == second
    labels = [path for path, _ in GETS] + [body["type"] for body in POSTS]
    differing = [label for label, a, b in zip(labels, first, other) if a != b]
    assert "/okx/api/v5/public/funding-rate-history" in differing
    assert "/deribit/api/v2/public/get_funding_rate_history" in differing and "fundingHistory" in differing


def test_command_line_starts_and_stops_cleanly():
    with SandboxServer() as probe:  # borrow a free port, then give it back
        port = probe.port
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", str(port), "--seed", "7",
                             "--clock", "2026-11-20T00:30:00Z", "--fault", "okx:http_500"],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line == f"sandbox listening on http://127.0.0.1:{port}"
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(base + "/_sandbox/clock").json()["now"] == "2026-11-20T00:30:00Z"
        assert httpx.get(base + "/okx/api/v5/public/funding-rate-history",
                         params={"instId": "BTC-USDT-SWAP"}).status_code == 500
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
