"""API keys never reach a log, the landing zone or the warehouse.

Every keyed source of the sandbox configuration gets a distinct key (the aggregators through their
`api_key_env`, one through its Airflow connection), and binance is configured as a keyed source too
(`api_key_env` + `api_key_header`, Binance's own X-MBX-APIKEY). The day is ingested with every logger
at DEBUG into a file, through a 5xx, a 429 and a permanent failure so the warning and error paths
log too; then the log, every landed file and every raw row are searched for the keys.
"""
from __future__ import annotations

import datetime as dt
import gzip
import logging
import secrets
from urllib.parse import quote

import duckdb
import pytest
import yaml

from ingest.config import load_sources
from ingest.load import load_day
from ingest.run import client_for, ingest_source
from ingest.venues import datasets_for
from sandbox.harness.process import sandbox_sources_file

DAY = dt.date(2026, 11, 26)
FAST = {"timeout_s": 5.0, "max_attempts": 3, "backoff_base_s": 0.01, "backoff_cap_s": 0.05}
PROBE_ENV, PROBE_HEADER = "DWH_TEST_BINANCE_KEY", "X-MBX-APIKEY"


@pytest.fixture()
def debug_log(tmp_path):
    path = tmp_path / "debug.log"
    handler = logging.FileHandler(path)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    # the worst case: everything at DEBUG, the HTTP libraries included (ingest.http quiets them by default)
    touched = {name: logging.getLogger(name).level for name in ("", "urllib3", "requests", "ingest")}
    root.addHandler(handler)
    for name in touched:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    handler.close()
    for name, level in touched.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture()
def keyed(sandbox, data_dir, monkeypatch):
    path = sandbox_sources_file(sandbox.url, data_dir / "sources.yml")
    doc = yaml.safe_load(path.read_text())
    doc["sources"]["binance"].update(api_key_env=PROBE_ENV, api_key_header=PROBE_HEADER)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    keys: dict[str, str] = {}
    for name, source in load_sources(path).items():
        env = source.extra.get("api_key_env")
        if not env or source.kind == "onchain":
            continue
        keys[name] = f"k3y{secrets.token_hex(16)}"
        if name == "coinglass":  # through the Airflow connection instead of the env var
            monkeypatch.delenv(env, raising=False)
            monkeypatch.setenv("AIRFLOW_CONN_DWH_COINGLASS", f"https://dwh:{quote(keys[name])}@open-api.coinglass.com")
        else:
            monkeypatch.setenv(env, keys[name])
    monkeypatch.setenv("DWH_SOURCES", str(path))
    sandbox.clear_faults()
    yield path, keys
    sandbox.clear_faults()


def test_keys_are_sent_but_never_written(sandbox, keyed, data_dir, debug_log):
    path, keys = keyed
    assert {"binance", "coinalyze", "coinglass"} <= set(keys), keys
    sources = load_sources(path)
    for name, key in keys.items():  # the key does go out, in the configured header
        with client_for(sources[name]) as client:
            assert client.session.headers.get(str(sources[name].extra["api_key_header"])) == key, name

    sandbox.set_clock(dt.datetime(2026, 11, 27, 0, 30, tzinfo=dt.UTC))
    sandbox.add_fault("binance", "http_500", count=1)
    sandbox.add_fault("coinalyze", "http_429", count=1, params={"retry_after": 0})
    sandbox.add_fault("coinglass", "http_500", count=-1, path="/api/futures/funding-rate")
    for name in keys:
        ingest_source(name, DAY, root=data_dir, sources_file=path, raise_on_failure=False, client_overrides=FAST)
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        load_day(con, data_dir, DAY, {name: datasets_for(name) for name in keys})

    log_text = debug_log.read_text()
    assert "retrying" in log_text and "failed" in log_text, "the warning and error paths were logged"
    leaks = []
    for name, key in keys.items():
        if key in log_text:
            leaks.append(f"{name}: in the debug log")
        for f in data_dir.rglob("*"):
            if f.is_file() and f.suffix != ".duckdb" and f.name != "sources.yml":
                data = gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes()
                if key.encode() in data:
                    leaks.append(f"{name}: in {f.relative_to(data_dir)}")
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'").fetchall()]
        for t in tables:
            for name, key in keys.items():
                n = con.execute(f'SELECT count(*) FROM raw."{t}" AS r WHERE CAST(r AS VARCHAR) LIKE ?',
                                [f"%{key}%"]).fetchone()[0]
                if n:
                    leaks.append(f"{name}: in raw.{t} ({n} rows)")
    assert not leaks, leaks
