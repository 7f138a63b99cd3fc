"""The loader: typed raw rows, idempotent reloads, overlapping pages, quarantine with reasons."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import duckdb
import pytest

from ingest.http import Exchange
from ingest.landing import Lander
from ingest.load import ensure_tables, landed_files, load_files
from ingest.venues import bybit

DAY = dt.date(2026, 11, 24)
FUNDING = next(d for d in bybit.DATASETS if d.name == "funding_rates")


def bybit_page(rows: list[dict]) -> bytes:
    return json.dumps({"retCode": 0, "retMsg": "OK", "result": {"category": "linear", "list": rows},
                       "retExtInfo": {}, "time": 1764000000000}).encode()


def row(ts: int, rate: str = "0.0001", symbol: str = "BTCUSDT") -> dict:
    return {"symbol": symbol, "fundingRate": rate, "fundingRateTimestamp": str(ts)}


def land(lander: Lander, body: bytes, status: int = 200, fetched_at: float = 1764000000.0) -> None:
    lander.land(Exchange("GET", "http://x/v5/market/funding/history", {"symbol": "BTCUSDT"}, None, status, body,
                         fetched_at, 0.01, 1))


@pytest.fixture()
def con():
    c = duckdb.connect()
    ensure_tables(c)
    yield c
    c.close()


def load(con, root):
    return load_files(con, "bybit", FUNDING, DAY, landed_files(root, "bybit", "funding_rates", DAY))


def test_loads_typed_rows_and_is_idempotent(con, tmp_path):
    lander = Lander(tmp_path, "bybit", "funding_rates", DAY, "run1")
    land(lander, bybit_page([row(1763942400000), row(1763971200000, "-0.00005")]))
    first = load(con, tmp_path)
    assert first["loaded"] == 2 and first["quarantined"] == 0
    rows = con.execute("SELECT symbol, funding_time_ms, funding_rate FROM raw.bybit__funding_rates ORDER BY 2").fetchall()
    assert rows == [("BTCUSDT", 1763942400000, 0.0001), ("BTCUSDT", 1763971200000, -0.00005)]
    load(con, tmp_path)
    assert con.execute("SELECT count(*) FROM raw.bybit__funding_rates").fetchone()[0] == 2


def test_overlapping_pages_and_reruns_do_not_duplicate(con, tmp_path):
    a = Lander(tmp_path, "bybit", "funding_rates", DAY, "run1")
    land(a, bybit_page([row(1), row(2)]))
    land(a, bybit_page([row(2), row(3)]))  # page overlap
    b = Lander(tmp_path, "bybit", "funding_rates", DAY, "run2")  # the day fetched again later
    land(b, bybit_page([row(1), row(2), row(3, "0.0002")]), fetched_at=1764000100.0)
    stats = load(con, tmp_path)
    assert stats["loaded"] == 3
    assert con.execute("SELECT count(*) FROM raw.bybit__funding_rates").fetchone()[0] == 3
    # the latest answer wins for a key
    assert con.execute("SELECT funding_rate FROM raw.bybit__funding_rates WHERE funding_time_ms = 3").fetchone()[0] == 0.0002


def test_bad_records_are_quarantined_with_reasons(con, tmp_path):
    lander = Lander(tmp_path, "bybit", "funding_rates", DAY, "run1")
    land(lander, bybit_page([
        row(10),
        {"symbol": "BTCUSDT", "funding_rate": "0.0001", "fundingRateTimestamp": "11"},  # renamed field
        row(12, "abc"),  # not a number
        row(13, "7.5"),  # implausible but loadable: judged by the dbt test on marts.funding_rates, not here
    ]))
    land(lander, b'{"retCode":0,"result":{"list":[{"symbol":"BTC')  # truncated body
    land(lander, json.dumps({"retCode": 10001, "retMsg": "params error", "result": {}}).encode())
    land(lander, b"<html>502</html>", status=502)  # an error answer is kept, but holds no records
    stats = load(con, tmp_path)
    assert stats["loaded"] == 2
    assert con.execute("SELECT funding_rate FROM raw.bybit__funding_rates WHERE funding_time_ms = 13").fetchone()[0] == 7.5
    reasons = [r[0] for r in con.execute("SELECT reason FROM raw.quarantine ORDER BY file, record_index").fetchall()]
    assert any("missing field funding_rate" in r for r in reasons)
    assert any("not a DOUBLE" in r for r in reasons)
    assert any("not valid JSON" in r for r in reasons)
    assert any("no records at $.result.list" in r for r in reasons)
    assert len(reasons) == 4
    # every quarantined row points at the landed file it came from
    files = {r[0] for r in con.execute("SELECT file FROM raw.quarantine").fetchall()}
    assert all(f.endswith(".ndjson.gz") for f in files)
    # reloading does not duplicate the quarantine either
    load(con, tmp_path)
    assert con.execute("SELECT count(*) FROM raw.quarantine").fetchone()[0] == 4


def test_landed_file_keeps_the_body_unchanged(tmp_path):
    import gzip
    import hashlib

    body = bybit_page([row(1)]) + b"  "
    lander = Lander(tmp_path, "bybit", "funding_rates", DAY, "run1")
    land(lander, body)
    (path,) = landed_files(tmp_path, "bybit", "funding_rates", DAY)
    doc = json.loads(gzip.decompress(path.read_bytes()))
    assert doc["body"].encode() == body
    assert doc["sha256"] == hashlib.sha256(body).hexdigest()
    assert doc["status"] == 200 and doc["params"] == {"symbol": "BTCUSDT"}


def test_nested_records_read_their_parent(con, tmp_path):
    from ingest.spec import Dataset, Field

    ds = Dataset(name="liq", records="$.data[*].details", key=("inst_id", "ts"), fields=(
        Field("inst_id", "parent:$.instId"), Field("ts", "$.ts", "BIGINT"), Field("sz", "$.sz", "DOUBLE")))
    body = json.dumps({"code": "0", "msg": "", "data": [
        {"instId": "BTC-USDT-SWAP", "details": [{"ts": "1", "sz": "2"}, {"ts": "2", "sz": "3"}]},
        {"instId": "ETH-USDT-SWAP", "details": [{"ts": "1", "sz": "5"}]}]}).encode()
    lander = Lander(tmp_path, "okx", "liq", DAY, "run1")
    land(lander, body)
    stats = load_files(con, "okx", ds, DAY, landed_files(tmp_path, "okx", "liq", DAY))
    assert stats["loaded"] == 3
    assert con.execute("SELECT inst_id, ts, sz FROM raw.okx__liq ORDER BY 1, 2").fetchall() == [
        ("BTC-USDT-SWAP", 1, 2.0), ("BTC-USDT-SWAP", 2, 3.0), ("ETH-USDT-SWAP", 1, 5.0)]


def test_a_key_reloaded_from_another_day_is_replaced_wherever_it_was_stored(con, tmp_path):
    # the key replacement is bounded by the new rows' own funding times (ingest.load._time_bound), which must
    # still find a key first stored by an earlier day, and a reload of that day must take it back
    day2 = DAY + dt.timedelta(days=1)
    land(Lander(tmp_path, "bybit", "funding_rates", DAY, "run1"), bybit_page([row(1), row(2, "0.0001")]))
    land(Lander(tmp_path, "bybit", "funding_rates", day2, "run2"), bybit_page([row(2, "0.0003"), row(3)]),
         fetched_at=1764000100.0)
    load(con, tmp_path)
    load_files(con, "bybit", FUNDING, day2, landed_files(tmp_path, "bybit", "funding_rates", day2))
    stored = "SELECT funding_time_ms, funding_rate, _date FROM raw.bybit__funding_rates ORDER BY 1"
    assert con.execute(stored).fetchall() == [(1, 0.0001, DAY), (2, 0.0003, day2), (3, 0.0001, day2)]
    load(con, tmp_path)  # the old day loaded again: its answer for key 2 replaces the newer day's row
    assert con.execute(stored).fetchall() == [(1, 0.0001, DAY), (2, 0.0001, DAY), (3, 0.0001, day2)]


def test_a_key_separator_inside_a_key_value_replaces_by_the_whole_table(con, tmp_path):
    # "A|1" + 2 + "s" and "A" + 1 + "2|s" give the same `_key` with different times: a replacement bounded by
    # time would keep both rows, today's rule (the same `_key` is replaced) keeps one
    from ingest.spec import Dataset, Field

    ds = Dataset(name="liq", records="$.data", key=("inst_id", "ts", "side"), fields=(
        Field("inst_id", "$.instId"), Field("ts", "$.ts", "BIGINT"), Field("side", "$.side")))
    for i, (inst, ts, side) in enumerate([("A|1", 2, "s"), ("A", 1, "2|s")]):
        day = DAY + dt.timedelta(days=i)
        land(Lander(tmp_path, "okx", "liq", day, f"run{i}"),
             json.dumps({"data": [{"instId": inst, "ts": str(ts), "side": side}]}).encode())
        load_files(con, "okx", ds, day, landed_files(tmp_path, "okx", "liq", day))
    assert con.execute("SELECT inst_id, ts, side, _key FROM raw.okx__liq").fetchall() == [("A", 1, "2|s", "A|1|2|s")]


def test_the_replacement_is_bounded_only_where_the_key_holds_a_time():
    from ingest.load import _time_bound
    from ingest.venues import deribit, okx

    liquidations = next(d for d in okx.DATASETS if d.name == "liquidations")
    trades = next(d for d in deribit.DATASETS if d.name == "future_trades")
    assert _time_bound(FUNDING) == "funding_time_ms" and _time_bound(liquidations) == "ts_ms"
    # (currency, trade_id): no time in the key; a trade's documented instant bounds it (Dataset.fixed_time)
    assert _time_bound(trades) == "timestamp_ms"
    assert _time_bound(dataclasses.replace(trades, fixed_time=None, fixed_time_doc="")) is None  # the whole key column


def trades_page(trades: list[tuple[str, int, float]]) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "result": {"has_more": False, "trades": [
        {"trade_id": tid, "trade_seq": 1, "instrument_name": "BTC-PERPETUAL", "timestamp": ts, "price": price,
         "amount": 10.0, "direction": "buy", "index_price": price} for tid, ts, price in trades]}}).encode()


def test_a_trade_bounded_by_its_time_is_replaced_wherever_it_was_stored_and_a_moved_one_shows(con, tmp_path):
    from ingest.venues import deribit

    trades = next(d for d in deribit.DATASETS if d.name == "future_trades")

    def load_trades(day, page, run):
        Lander(tmp_path, "deribit", "future_trades", day, run).land(Exchange(
            "GET", "http://x/api/v2/public/get_last_trades_by_currency_and_time", {"currency": "BTC"}, None, 200,
            page, 1764000000.0 + (day - DAY).days, 0.01, 1))
        return load_files(con, "deribit", trades, day, landed_files(tmp_path, "deribit", "future_trades", day))

    day2, day3 = DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)
    load_trades(DAY, trades_page([("1", 1000, 90.0), ("2", 2000, 91.0)]), "run1")
    load_trades(day2, trades_page([("2", 2000, 92.0), ("3", 3000, 93.0)]), "run2")  # trade 2 sent again
    stored = "SELECT trade_id, timestamp_ms, price, _date FROM raw.deribit__future_trades ORDER BY 1, 2"
    assert con.execute(stored).fetchall() == [("1", 1000, 90.0, DAY), ("2", 2000, 92.0, day2), ("3", 3000, 93.0, day2)]
    # a trade sent again at another time is outside the bound: both rows stay, and the raw table's `_key`
    # uniqueness check (below) is what fails the run
    load_trades(day3, trades_page([("1", 5000, 90.0)]), "run3")
    assert con.execute("SELECT count(*) FROM raw.deribit__future_trades WHERE trade_id = '1'").fetchone()[0] == 2


def test_every_key_bounded_by_a_fixed_time_is_checked_unique_over_the_whole_table():
    from expectations.suite import load_suites
    from ingest.venues import MODULES, datasets_for

    suites = {s.name: s for s in load_suites()}
    bounded = [f"raw.{s}__{ds.name}" for s in MODULES for ds in datasets_for(s) if ds.fixed_time]
    assert bounded, "no dataset bounds its key replacement by a fixed time"
    for table in bounded:
        unique = [c for c in suites[table].checks if c.type == "expect_column_values_to_be_unique"
                  and c.kwargs.get("column") == "_key"]
        assert [(c.severity, c.scope) for c in unique] == [("error", "table")], table


@pytest.mark.parametrize("change, message", [
    ({"fixed_time": "price"}, "must be a required BIGINT"), ({"fixed_time": "liquidation"}, "must be a required"),
    ({"fixed_time_doc": ""}, "needs the venue's page")])
def test_a_fixed_time_must_be_a_required_integer_with_its_page(change, message):
    from ingest.venues import deribit

    trades = next(d for d in deribit.DATASETS if d.name == "future_trades")
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(trades, **change)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_source_whose_load_fails_is_rolled_back_and_the_others_still_load(con, tmp_path, monkeypatch, workers):
    from ingest.load import load_day
    from ingest.spec import Dataset, Field

    monkeypatch.setenv("DWH_THREADS", workers)
    liq = Dataset(name="liq", records="$.data", key=("ts",), fields=(Field("ts", "$.ts", "BIGINT"),))
    broken = Dataset(name="broken", records="$.data", key=("ts",), fields=(Field("ts", "$.ts", "BIGINT; DROP"),))
    land(Lander(tmp_path, "bybit", "funding_rates", DAY, "run1"), bybit_page([row(1), row(2)]))
    land(Lander(tmp_path, "okx", "liq", DAY, "run1"), json.dumps({"data": [{"ts": "1"}]}).encode())
    with pytest.raises(ValueError, match="unsafe column type"):
        load_day(con, tmp_path, DAY, {"okx": [liq, broken], "bybit": [FUNDING]})
    assert con.execute("SELECT count(*) FROM raw.bybit__funding_rates").fetchone()[0] == 2
    tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'").fetchall()}
    assert "okx__liq" not in tables, "the failed source's transaction left a table behind"
    assert con.execute("SELECT DISTINCT source FROM raw.load_log").fetchall() == [("bybit",)]


def test_every_load_is_numbered_after_the_ones_before_it(con, tmp_path):
    # raw.load_log.load_seq: a load's number is above every number the log held when it began, so dbt can
    # tell the loads since its last build (dbt_project/macros/incremental.sql)
    day2 = DAY + dt.timedelta(days=1)
    land(Lander(tmp_path, "bybit", "funding_rates", DAY, "run1"), bybit_page([row(1)]))
    land(Lander(tmp_path, "bybit", "funding_rates", day2, "run2"), bybit_page([row(2)]))
    seqs = "SELECT date, load_seq FROM raw.load_log ORDER BY date"
    load(con, tmp_path)
    load_files(con, "bybit", FUNDING, day2, landed_files(tmp_path, "bybit", "funding_rates", day2))
    assert con.execute(seqs).fetchall() == [(DAY, 1), (day2, 2)]
    load(con, tmp_path)  # the first day again: the newest load
    assert con.execute(seqs).fetchall() == [(DAY, 3), (day2, 2)]


@pytest.mark.parametrize(("storage", "compression"), [(None, "ZSTD"), ("v1.0.0", None)])
def test_the_landed_record_is_stored_with_zstd_where_the_file_can_hold_it(tmp_path, storage, compression):
    # a warehouse file of an older storage version refuses zstd text: it loads the same, DuckDB's default kept
    lander = Lander(tmp_path, "bybit", "funding_rates", DAY, "run1")
    page = [row(1763942400000 + i * 28800000, f"0.000{i % 9}") for i in range(3000)]
    land(lander, bybit_page(page))
    c = duckdb.connect()
    c.execute(f"ATTACH '{tmp_path / 'w.duckdb'}' AS w" + (f" (STORAGE_VERSION '{storage}')" if storage else ""))
    c.execute("USE w")
    ensure_tables(c)
    assert load(c, tmp_path)["loaded"] == 3000
    c.execute("CHECKPOINT w")
    used = {m for (m,) in c.execute("SELECT DISTINCT compression FROM pragma_storage_info('raw.bybit__funding_rates') "
                                    "WHERE column_name = '_record' AND compression <> 'Constant'").fetchall()}
    assert (compression in used) if compression else used and "ZSTD" not in used
    assert c.execute("SELECT count(*) FROM raw.bybit__funding_rates WHERE _record->>'$.symbol' = 'BTCUSDT'").fetchone()[0] == 3000
    c.close()
