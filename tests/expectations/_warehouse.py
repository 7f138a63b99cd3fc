"""A small warehouse shaped like the first source's tables, with good data by default."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

RUN_DATE = dt.date(2026, 11, 26)
# venue -> (symbol suffix, settlement interval in hours)
VENUES = {"binance": ("USDT", 8), "bybit": ("USDT", 8), "okx": ("-USDT-SWAP", 8),
          "deribit": ("-PERPETUAL", 1), "bitmex": ("USD", 8), "hyperliquid": ("", 1)}


def build_warehouse(path: Path, end: dt.date = RUN_DATE, days: int = 8) -> Path:
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE raw.binance__funding_rates (symbol VARCHAR, funding_rate DOUBLE, _key VARCHAR, "
                "_record JSON, _date DATE, _file VARCHAR, _fetched_at TIMESTAMPTZ)")
    con.execute("CREATE TABLE marts.funding_rates (exchange VARCHAR, symbol VARCHAR, asset VARCHAR, "
                "funding_time TIMESTAMP, rate DOUBLE, interval_hours DOUBLE, annualized_rate DOUBLE)")
    rates, raw = [], []
    for i in range(days):
        day = end - dt.timedelta(days=days - 1 - i)
        for exchange, (suffix, hours) in VENUES.items():
            for asset in ("BTC", "ETH"):
                for h in range(0, 24, hours):
                    t = dt.datetime.combine(day, dt.time(h), tzinfo=dt.UTC)
                    rate = 0.0001 * (1 + h % 3) * (1 if asset == "BTC" else -1)
                    rates.append((exchange, asset + suffix, asset, t, rate, hours, rate * 24 / hours * 365))
                    if exchange == "binance":
                        key = f"{asset}{suffix}|{int(t.timestamp() * 1000)}"
                        raw.append((asset + suffix, rate, key, f'{{"fundingRate": "{rate}"}}', day, "f.ndjson.gz", t))
    # Row-by-row executemany is slow in DuckDB; insert from frames instead.
    rates_df = pd.DataFrame(rates)  # noqa: F841 (read by the SQL below)
    raw_df = pd.DataFrame(raw)  # noqa: F841
    con.execute("INSERT INTO marts.funding_rates SELECT * FROM rates_df")
    con.execute("INSERT INTO raw.binance__funding_rates SELECT * FROM raw_df")
    # As dbt builds it (marts/funding/funding_daily.sql).
    con.execute("""
        CREATE TABLE marts.funding_daily AS
        SELECT CAST(funding_time AS DATE) AS date, asset, exchange,
               avg(rate * 8 / interval_hours) AS rate_8h, avg(rate * 8 / interval_hours) * 3 * 365 AS annualized_rate,
               count(*) AS observations, string_agg(DISTINCT symbol, ',') AS symbols
        FROM marts.funding_rates GROUP BY ALL""")
    con.close()
    return path
