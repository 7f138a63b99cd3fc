"""History endpoints paged against the sandbox with small pages: every point of the day exactly once.

The page size of each dataset is shrunk so a day takes several requests; the landed pages are then loaded
and checked: no point twice across pages (records == loaded), none missing, none from outside the day.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from ingest.load import ensure_tables, landed_files, load_files
from ingest.run import ingest_source
from ingest.venues import datasets_for
from ingest.venues.binance import markets as binance_markets
from ingest.venues.bybit import markets as bybit_markets
from ingest.venues.okx import markets as okx_markets

DAY = dt.date(2026, 11, 24)
HOUR_MS = 3_600_000
DAY_START = int(dt.datetime(2026, 11, 24, tzinfo=dt.UTC).timestamp() * 1000)
# open interest: (D 00:00, D+1 00:00]; hourly klines: the 24 opening in [D 00:00, D+1 00:00)
OI_POINTS = {DAY_START + h * HOUR_MS for h in range(1, 25)}
KLINE_OPENS = {DAY_START + h * HOUR_MS for h in range(24)}

CASES = [
    # source, dataset, module, page attribute, small page, time column, symbol column, expected points
    ("binance", "open_interest_hist", binance_markets, "OI_PAGE", 5, "timestamp_ms", "symbol", OI_POINTS),
    ("binance", "mark_price_klines", binance_markets, "KLINE_PAGE", 7, "open_time_ms", "symbol", KLINE_OPENS),
    ("binance", "index_price_klines", binance_markets, "KLINE_PAGE", 7, "open_time_ms", "pair", KLINE_OPENS),
    ("bybit", "open_interest", bybit_markets, "OI_PAGE", 7, "timestamp_ms", "symbol", OI_POINTS),
    ("bybit", "mark_price_klines", bybit_markets, "KLINE_PAGE", 5, "start_ms", "symbol", KLINE_OPENS),
    ("okx", "open_interest_hist", okx_markets, "OI_PAGE", 6, "ts_ms", "inst_id", OI_POINTS),
]


@pytest.mark.parametrize("source, dataset, module, attr, page, time_col, symbol_col, expected", CASES,
                         ids=[f"{c[0]}.{c[1]}" for c in CASES])
def test_each_point_exactly_once(sandbox, sandbox_sources, data_dir, monkeypatch, source, dataset, module, attr,
                                 page, time_col, symbol_col, expected):
    sandbox.set_clock(dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.UTC))
    monkeypatch.setattr(module, attr, page)
    manifest = ingest_source(source, DAY, root=data_dir, datasets=[dataset])
    entry = manifest["datasets"][dataset]
    assert entry["status"] == "ok", entry
    per_symbol_pages = -(-len(expected) // page)
    assert entry["responses"] >= 2 * per_symbol_pages, "the day should take several pages per symbol"

    ds = next(d for d in datasets_for(source) if d.name == dataset)
    con = duckdb.connect()
    ensure_tables(con)
    stats = load_files(con, source, ds, DAY, landed_files(data_dir, source, dataset, DAY))
    assert stats["quarantined"] == 0
    assert stats["records"] == stats["loaded"], "a point came back on two pages"
    rows = con.execute(f"SELECT {symbol_col}, {time_col} FROM raw.{source}__{dataset}").fetchall()
    by_symbol: dict[str, set[int]] = {}
    for symbol, t in rows:
        by_symbol.setdefault(symbol, set()).add(t)
    assert len(by_symbol) == 2  # BTC and ETH
    for symbol, points in by_symbol.items():
        assert points == expected, (symbol, sorted(points - expected), sorted(expected - points))
