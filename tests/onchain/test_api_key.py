"""A configured TronGrid key travels in its header and nowhere else: not the landing zone, not the logs."""
from __future__ import annotations

import http.server
import json
import logging
import threading

import pytest

from ingest.run import ingest_source
from tests.onchain.conftest import DAY

KEY = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"  # a made-up key in TronGrid's UUID form


@pytest.fixture()
def capturing_trongrid(data_dir, monkeypatch):
    """A stand-in TronGrid that records the headers it was sent."""
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            seen.append(dict(self.headers))
            body = json.dumps({"data": [], "success": True, "meta": {"at": 1795651800000, "page_size": 0}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sources = data_dir / "sources.yml"
    sources.write_text(f"""sources:
  trongrid:
    kind: onchain
    chain: tron
    base_url: http://127.0.0.1:{server.server_address[1]}
    entities: [BitMEX]
    api_key_env: TEST_TRONGRID_KEY
    api_key_header: TRON-PRO-API-KEY
    rate_limit: {{requests_per_second: 50}}
""")
    monkeypatch.setenv("DWH_SOURCES", str(sources))
    monkeypatch.setenv("TEST_TRONGRID_KEY", KEY)
    yield seen
    server.shutdown()


def test_key_is_sent_but_never_landed_or_logged(capturing_trongrid, data_dir, caplog):
    caplog.set_level(logging.DEBUG)
    manifest = ingest_source("trongrid", DAY)
    assert manifest["datasets"]["accounts"]["status"] == "ok"
    assert capturing_trongrid and all(h.get("TRON-PRO-API-KEY") == KEY for h in capturing_trongrid)
    written = [p.read_bytes() for p in (data_dir / "landing").rglob("*") if p.is_file()]
    import gzip

    texts = [gzip.decompress(b).decode() if b[:2] == b"\x1f\x8b" else b.decode() for b in written]
    assert texts and not any(KEY in t for t in texts)
    assert KEY not in caplog.text


def test_sandbox_refuses_a_malformed_key(chain_sources, monkeypatch):
    text = chain_sources.read_text()
    assert "TRONGRID_API_KEY" in text
    monkeypatch.setenv("TRONGRID_API_KEY", "not-a-key")
    manifest = ingest_source("trongrid", DAY, raise_on_failure=False)
    entry = manifest["datasets"]["accounts"]
    assert entry["status"] == "failed" and "401" in entry["error"] and "not-a-key" not in entry["error"]
