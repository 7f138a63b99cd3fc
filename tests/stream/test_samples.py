"""Real-format websocket messages (vendored in tests/fixtures) through the collector's routing, the loader
and the staging views: sides, sizes and notionals come out as each venue's rules say."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import duckdb
import pytest

from ingest.load import load_day
from ingest.stream import protocols as P
from ingest.stream.writer import HourlyWriter
from ingest.venues import datasets_for, ws_protocols
from tests.conftest import FIXTURES, PROJECT

DAY = dt.date(2026, 11, 26)
T0 = dt.datetime.combine(DAY, dt.time(9), tzinfo=dt.UTC).timestamp()
VENUES = ("binance", "bybit", "okx", "bitmex", "deribit")
WS_MODELS = [f"stg_{v}__liquidations_ws" for v in VENUES] + ["stg_stream__hours", "stg_stream__gaps"]


def _samples() -> dict[str, list[dict]]:
    tardis = FIXTURES / "tardis-node" / "liquidation_raw_ws_samples.json"
    nautilus = FIXTURES / "nautilus_trader"
    by_venue: dict[str, list[dict]] = {v: [] for v in VENUES}
    for s in json.loads(tardis.read_text())["samples"]:
        name, msg = s["exchange"], s["message"]
        if name.startswith("binance"):
            # the combined-stream form (/market/stream?streams=...), landed unchanged: it must load like the
            # raw event of /market/ws (the nautilus sample below), not end in the quarantine
            assert set(msg) == {"stream", "data"}
            by_venue["binance"].append(msg)
        elif "allLiquidation" in name:
            by_venue["bybit"].append(msg)
        elif name.startswith("okex"):
            by_venue["okx"].append(msg)
        elif name in ("bitmex", "deribit"):
            by_venue[name].append(msg)
    by_venue["binance"].append(json.loads((nautilus / "binance__futures_market_data_json_liquidation_stream.json").read_text()))
    by_venue["deribit"].append(json.loads((nautilus / "deribit__ws_trades.json").read_text()))
    return by_venue


def _event(msg: dict) -> dict:
    return msg["data"] if "stream" in msg else msg


@pytest.fixture(scope="module")
def landed(tmp_path_factory):
    """The samples landed as the collector lands messages (routing included), loaded for the day."""
    root = tmp_path_factory.mktemp("samples") / "data"
    samples = _samples()
    for venue, messages in samples.items():
        w = HourlyWriter(root, venue, "samples-1", f"wss://{venue}")
        for i, msg in enumerate(messages):
            text = json.dumps(msg)
            w.write(P.dataset_for(P.classify(ws_protocols()[venue], text)), T0 + i, text)
        w.close()
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    out = load_day(con, root, DAY, {v: datasets_for(v) for v in VENUES})
    # the REST ingest lists OKX contracts; the sample's XRP future is an inverse contract of 10 USD
    con.execute("""insert into raw.okx__instruments (inst_id, inst_type, inst_family, uly, ct_val, ct_val_ccy,
                   observed_date) values ('XRP-USD-230929', 'FUTURES', 'XRP-USD', 'XRP-USD', 10, 'USD', DATE '2026-11-26')""")
    con.close()
    return root, samples, out


def test_samples_load_without_quarantine_and_control_stays_out(landed):
    root, samples, out = landed
    for venue in VENUES:
        assert out[f"{venue}.liquidations_ws"]["quarantined"] == 0, venue
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    # the BitMEX delete (order filled) is lifecycle, not a liquidation: it went to ws_control
    assert con.execute("select count(*) from raw.bitmex__liquidations_ws").fetchone()[0] == 1
    assert list((root / "landing/source=bitmex/dataset=ws_control").rglob("*.ndjson.gz"))
    assert con.execute("select count(*) from raw.deribit__liquidations_ws").fetchone()[0] == 4  # 2 forced + 2 plain
    assert sorted(con.execute("select side, filled_qty from raw.binance__liquidations_ws").fetchall()) \
        == sorted((o["o"]["S"], float(o["o"]["z"])) for o in map(_event, samples["binance"]))
    # the wrapped one kept its order as the record, like the raw form
    assert con.execute("select count(*) from raw.binance__liquidations_ws where _record->>'$.s' = 'BTCUSDT'"
                       ).fetchone()[0] == 2
    con.close()


@pytest.mark.slow
def test_staging_views_on_the_samples(landed, request):
    root, samples, _ = landed
    env = dict(os.environ, DWH_DATA_DIR=str(root), DBT_PROFILES_DIR=str(PROJECT / "dbt_project"))
    dbt = [sys.executable, "-m", "dbt.cli.main"] if not (PROJECT / ".venv/bin/dbt").exists() else [str(PROJECT / ".venv/bin/dbt")]
    proc = subprocess.run([*dbt, "run", "--select", *WS_MODELS, "--project-dir", str(PROJECT / "dbt_project"),
                           "--profiles-dir", str(PROJECT / "dbt_project"), "--target-path", str(root / "target"),
                           "--log-path", str(root / "logs")], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    request.addfinalizer(con.close)

    def rows(venue):
        return con.execute(f"select symbol, asset, side, price, quantity, notional_usd, liquidated_at, channel "
                           f"from staging.stg_{venue}__liquidations_ws order by liquidated_at, liquidation_id").fetchall()

    binance = {o["o"]["S"]: o["o"] for o in map(_event, samples["binance"])}
    got = {r[2]: r for r in rows("binance")}
    for order_side, position in (("SELL", "long"), ("BUY", "short")):
        o = binance[order_side]
        sym, asset, side, price, qty, usd, at, channel = got[position]
        assert (sym, asset, channel) == ("BTCUSDT", "BTC", "websocket")
        assert price == pytest.approx(float(o["ap"])) and qty == pytest.approx(float(o["z"]))
        assert usd == pytest.approx(float(o["z"]) * float(o["ap"]), abs=1e-6)
        assert at == dt.datetime.fromtimestamp(o["T"] / 1000, dt.UTC).replace(tzinfo=None)

    [b] = samples["bybit"][0]["data"]
    [(sym, asset, side, price, qty, usd, _, _)] = rows("bybit")
    assert (sym, asset, side) == (b["s"], None, "short")  # S=Sell: a short position; PIPPIN is not tracked
    assert (price, qty) == (float(b["p"]), float(b["v"])) and usd == pytest.approx(float(b["v"]) * float(b["p"]))

    [d] = samples["okx"][0]["data"][0]["details"]
    [(sym, asset, side, price, qty, usd, _, _)] = rows("okx")
    assert (sym, side, price) == ("XRP-USD-230929", "short", float(d["bkPx"]))  # a buy closes a short
    assert usd == pytest.approx(float(d["sz"]) * 10) and qty == pytest.approx(float(d["sz"]) * 10 / float(d["bkPx"]))

    insert = next(m for m in samples["bitmex"] if m["action"] == "insert")["data"][0]
    [(sym, asset, side, price, qty, usd, at, _)] = rows("bitmex")
    assert (sym, asset, side) == ("XBTUSD", "BTC", "short")  # Buy order = a short liquidated
    assert usd == insert["leavesQty"] and qty == pytest.approx(insert["leavesQty"] / insert["price"])
    assert at == dt.datetime.fromtimestamp(T0, dt.UTC).replace(tzinfo=None)  # receipt time

    forced = [t for m in samples["deribit"] for t in m["params"]["data"] if "liquidation" in t]
    got = rows("deribit")
    assert len(got) == len(forced) == 2
    for t, (_, _, side, _, qty, usd, _, _) in zip(sorted(forced, key=lambda t: t["timestamp"]), got):
        long_ = (t["liquidation"] == "T" and t["direction"] == "sell") or (t["liquidation"] == "M" and t["direction"] == "buy")
        assert side == ("long" if long_ else "short")
        assert usd == pytest.approx(t["amount"]) and qty == pytest.approx(t["amount"] / t["price"])
