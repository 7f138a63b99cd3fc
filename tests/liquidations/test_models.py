"""The liquidation models on a sandbox day read on both channels: counts, sides and USD against the
simulated market, one row per event across channels, coverage, the daily mart, and idempotent reloads.

The day is the squeeze (2026-11-26) polled at D 23:50 (`dwh poll`: OKX keeps one day of liquidation orders)
and fetched at D+1 00:30 from OKX and Deribit over REST; the websocket
copies are the same orders and trades as the venues push them (REST bodies rewrapped in the channel
envelope and written with the collector's writer), plus what the stream saw after midnight and REST not.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json

import duckdb
import pytest

from ingest.load import load_day, load_files
from ingest.run import ingest_source
from ingest.stream.load import load_stream_day
from tests.liquidations._helpers import dataset, dbt, ws_dataset
from tests.support.integrity import table_hashes
from tests.support.sandbox import warehouse_env

pytestmark = pytest.mark.slow  # sandbox, loader and a dbt build
DAY = dt.date(2026, 11, 26)
NEXT = DAY + dt.timedelta(days=1)
RUN_AT = dt.datetime(2026, 11, 27, 0, 30, tzinfo=dt.UTC)
POLL_AT = dt.datetime(2026, 11, 26, 23, 50, tzinfo=dt.UTC)  # the last hourly poll of D
START_MS = int(dt.datetime.combine(DAY, dt.time(), tzinfo=dt.UTC).timestamp() * 1000)
END_MS = START_MS + 86_400_000
RUN_MS = int(RUN_AT.timestamp() * 1000)
REST = {"okx": ["instruments", "liquidations"], "deribit": ["future_trades"]}
WS_VENUES = ("binance", "bybit", "okx", "bitmex", "deribit")
MARTS = ("fct_liquidations", "liquidations_daily", "liquidations_daily_by_exchange")


def landed_bodies(root, source, name):
    for path in sorted((root / "landing" / f"source={source}" / f"dataset={name}").rglob("*.ndjson.gz")):
        env = json.loads(gzip.decompress(path.read_bytes()))
        yield env["params"], json.loads(env["body"])


def ws_messages(root, seed: int = 7) -> dict[str, list[tuple[float, dict]]]:
    """(received_at, message) per venue: the REST answers as websocket pushes, and the events between
    midnight and the 00:30 run that only the stream saw."""
    from sandbox.market import liquidations_between
    from sandbox.venues.deribit import day_trades
    from sandbox.venues.okx import liquidation_detail

    out: dict[str, list[tuple[float, dict]]] = {"okx": [], "deribit": []}
    for _, body in landed_bodies(root, "okx", "liquidations"):
        for inst in body["data"]:
            for d in inst["details"]:
                push = {"arg": {"channel": "liquidation-orders", "instType": "SWAP"}, "data": [dict(inst, details=[d])]}
                out["okx"].append((int(d["ts"]) / 1000 + 0.2, push))
    for params, body in landed_bodies(root, "deribit", "future_trades"):
        for t in body["result"]["trades"]:
            push = {"jsonrpc": "2.0", "method": "subscription",
                    "params": {"channel": f"trades.future.{params['currency']}.100ms", "data": [t]}}
            out["deribit"].append((t["timestamp"] / 1000 + 0.1, push))
    for asset in ("BTC", "ETH"):
        for e in liquidations_between(seed, "okx", asset, END_MS, RUN_MS - 1):
            inst = {"instId": e.symbol, "instType": "SWAP", "instFamily": f"{asset}-USDT", "uly": f"{asset}-USDT"}
            out["okx"].append((e.time_ms / 1000, {"arg": {"channel": "liquidation-orders", "instType": "SWAP"},
                                                  "data": [dict(inst, details=[liquidation_detail(e)])]}))
        late = [t for t in day_trades(seed, asset, NEXT) if t["timestamp"] < RUN_MS]
        for t in late:
            out["deribit"].append((t["timestamp"] / 1000, {"jsonrpc": "2.0", "method": "subscription",
                                                           "params": {"channel": f"trades.future.{asset}.100ms",
                                                                      "data": [t]}}))
    return out


def load_ws(con, root, venue: str, messages: list[tuple[float, dict]]) -> None:
    from ingest.stream.writer import HourlyWriter

    spec = ws_dataset(venue)
    writer = HourlyWriter(root, venue, f"{venue}-conn", f"wss://{venue}")
    for received_at, msg in sorted(messages, key=lambda m: m[0]):
        writer.write(spec.name, received_at, json.dumps(msg))
    writer.close()
    for day in (DAY, NEXT):
        base = root / "landing" / f"source={venue}" / f"dataset={spec.name}" / f"date={day.isoformat()}"
        stats = load_files(con, venue, spec, day, sorted(base.rglob("*.ndjson.gz")))
        assert stats["quarantined"] == 0, (venue, stats)
        load_stream_day(con, root, day, venue, [spec])


def build(sandbox, root, target) -> None:
    """Poll during D, then ingest, load (REST and websocket) and build the liquidation models, as the
    hourly poll and the daily run would."""
    from dwh.pipeline import poll

    sandbox.set_clock(POLL_AT)
    polled = poll(DAY, list(REST))
    assert all(v["status"] == "ok" for m in polled.values() for v in m["datasets"].values()), polled
    sandbox.set_clock(RUN_AT)
    for source, names in REST.items():
        manifest = ingest_source(source, DAY, root=root, datasets=names)
        assert all(v["status"] == "ok" for v in manifest["datasets"].values()), manifest
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        load_day(con, root, DAY, {s: [dataset(s, n) for n in names] for s, names in REST.items()})
        msgs = ws_messages(root)
        for venue in WS_VENUES:
            load_ws(con, root, venue, msgs.get(venue, []))
    dbt(root, "build", "--select", "+liquidations_daily", "fct_liquidations", "+int_liquidations_rejected",
        "--vars", f"{{run_date: '{DAY.isoformat()}'}}", target=target)


@pytest.fixture(scope="module")
def warehouse(sandbox, tmp_path_factory, dbt_target):
    missing = [v for v in WS_VENUES if ws_dataset(v) is None]
    assert not missing, f"no liquidations_ws dataset for {missing}"
    root = tmp_path_factory.mktemp("liq") / "data"
    root.mkdir()
    with warehouse_env(sandbox.url, root):
        sandbox.clear_faults()
        build(sandbox, root, dbt_target)
        yield root, sandbox


def query(root, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def model_day(venue: str) -> dict[str, list]:
    from sandbox.market import liquidations

    return {a: list(liquidations(7, venue, a, DAY)) for a in ("BTC", "ETH")}


@pytest.mark.parametrize("venue", ["okx", "deribit"])
def test_every_event_of_the_day_once_with_its_side_and_usd(warehouse, venue):
    root, _ = warehouse
    from sandbox.venues.deribit import liquidation_trade

    for asset, events in model_day(venue).items():
        got = query(root, """SELECT side, count(*), sum(notional_usd), sum(quantity) FROM marts.fct_liquidations
                             WHERE exchange = ? AND asset = ? AND CAST(liquidated_at AS DATE) = ?
                             GROUP BY side ORDER BY side""", [venue, asset, DAY])
        by_side = {s: (n, usd, qty) for s, n, usd, qty in got}
        for side in ("long", "short"):
            mine = [e for e in events if e.side == side]
            n, usd, qty = by_side[side]
            assert n == len(mine)
            if venue == "okx":  # contracts × ctVal × bankruptcy price: the market's own coins and dollars
                assert qty == pytest.approx(sum(e.qty for e in mine), abs=1e-6)
                assert usd == pytest.approx(sum(e.qty * e.price for e in mine), abs=1e-3)
            else:  # Deribit prints whole 10/1 USD contracts at its tick: USD as printed, coins = USD / price
                printed = [liquidation_trade(7, e) for e in mine]
                assert usd == pytest.approx(sum(t["amount"] for t in printed), abs=1e-3)
                assert qty == pytest.approx(sum(t["amount"] / t["price"] for t in printed), rel=1e-9)


def test_events_seen_on_both_channels_count_once(warehouse):
    root, _ = warehouse
    per_channel = dict(query(root, """SELECT channel, count(*) FROM marts.fct_liquidations
                                      WHERE CAST(liquidated_at AS DATE) = ? GROUP BY channel""", [DAY]))
    n_model = sum(len(v) for venue in ("okx", "deribit") for v in model_day(venue).values())
    assert per_channel == {"rest": n_model}  # every websocket copy folded into its REST row
    ws_rows = query(root, """SELECT count(*) FROM intermediate.int_liquidations_unioned
                             WHERE channel = 'websocket' AND CAST(liquidated_at AS DATE) = ?""", [DAY])[0][0]
    assert ws_rows == n_model  # and the websocket really did deliver them all
    assert query(root, "SELECT count(*) FROM intermediate.int_liquidations_rejected")[0][0] == 0


def test_what_only_the_stream_saw_is_kept(warehouse):
    from sandbox.market import liquidations_between

    root, _ = warehouse
    want = sum(len(liquidations_between(7, v, a, END_MS, RUN_MS - 1)) for v in ("okx", "deribit")
               for a in ("BTC", "ETH"))
    got = query(root, """SELECT channel, count(*) FROM marts.fct_liquidations
                         WHERE CAST(liquidated_at AS DATE) = ? GROUP BY channel""", [NEXT])
    assert want > 0 and got == [("websocket", want)]


def test_hours_covered_per_venue(warehouse):
    root, _ = warehouse
    hours = dict(query(root, """SELECT exchange, max(hours_covered) FROM marts.liquidations_daily_by_exchange
                                WHERE date = ? GROUP BY exchange""", [DAY]))
    assert hours == {"okx": 24, "deribit": 24, "binance": 0, "bybit": 0, "bitmex": 0}
    # the poll at 23:50 and the run at 00:30 together hold all of D: complete, and REST's rows are the count
    done = query(root, """SELECT exchange, completeness, covered_from, covered_to, counted_channels
                          FROM marts.liquidations_daily_by_exchange WHERE date = ? AND asset = 'BTC'
                          ORDER BY exchange""", [DAY])
    start, end = dt.datetime(2026, 11, 26), dt.datetime(2026, 11, 27)
    assert done == [("binance", "partial_window", None, None, ""), ("bitmex", "partial_window", None, None, ""),
                    ("bybit", "partial_window", None, None, ""), ("deribit", "complete", start, end, "rest"),
                    ("okx", "complete", start, end, "rest")]
    # the next day was only heard on the stream, in the hour before the run
    late = dict(query(root, """SELECT exchange, max(hours_covered) FROM marts.liquidations_daily_by_exchange
                               WHERE date = ? GROUP BY exchange""", [NEXT]))
    assert late["okx"] == 1 and late["deribit"] == 1 and late["binance"] == 0


def test_daily_mart_on_the_squeeze_day(warehouse):
    root, _ = warehouse
    rows = query(root, """SELECT asset, long_ratio, is_one_sided, exchanges_reporting, exchanges_expected, sources,
                                 long_usd + short_usd - total_usd
                          FROM marts.liquidations_daily WHERE date = ? ORDER BY asset""", [DAY])
    assert [r[0] for r in rows] == ["BTC", "ETH"]
    for _, ratio, one_sided, reporting, expected, sources, diff in rows:
        assert ratio >= 0.95 and one_sided is True
        assert (reporting, expected, sources) == (2, 5, "deribit,okx")
        assert abs(diff) < 1e-6
    # three expected venues were never heard: the day's total is not the whole market's and says so
    flags = query(root, """SELECT DISTINCT completeness, sampled_venues, partial_venues FROM marts.liquidations_daily
                           WHERE date = ?""", [DAY])
    assert flags == [("partial_window", "", "binance,bitmex,bybit")]


def test_rerun_and_reload_change_nothing(warehouse, dbt_target):
    root, sandbox = warehouse
    before = table_hashes(root / "warehouse.duckdb", "marts")
    raw_before = query(root, "SELECT count(*) FROM raw.okx__liquidations")[0][0]
    build(sandbox, root, dbt_target)  # a second run of the day: new landing files, the same events
    after = table_hashes(root / "warehouse.duckdb", "marts")
    assert {t: after[t] for t in MARTS} == {t: before[t] for t in MARTS}
    assert query(root, "SELECT count(*) FROM raw.okx__liquidations")[0][0] == raw_before
