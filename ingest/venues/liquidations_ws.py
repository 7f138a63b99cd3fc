"""The `liquidations_ws` datasets: where the liquidations sit in the messages the collector landed.

The collector (ingest.stream) lands only data messages here (acks, pongs and order updates go to
`ws_control`), so a message without records at the path is a real format problem and is quarantined.
fetch is None: the files come from the collector, not from a daily fetch. Values stay in venue units;
dbt staging (stg_<venue>__liquidations_ws) converts sides, contracts and times.
"""
from __future__ import annotations

from ingest.spec import Dataset, Field

NAME = "liquidations_ws"
_POSITIVE = 1e-12  # a size or price of zero is no liquidation at all

# Binance forceOrder on /market/ws: {"e": "forceOrder", "E", "o": {order}}; on /market/stream?streams=...
# the same event comes wrapped as {"stream": "<name>", "data": {event}} (Websocket Market Streams, Connect:
# combined stream events are wrapped this way), read through `envelope` into the same rows and keys.
# S is the order side (SELL = a long was liquidated), z the filled quantity (coins), ap the average fill
# price, T the trade time (ms).
BINANCE = Dataset(
    name=NAME,
    records="$.o",
    envelope="$.data",
    fields=(
        Field("symbol", "$.s"),
        Field("side", "$.S"),
        Field("order_type", "$.o", required=False),
        Field("time_in_force", "$.f", required=False),
        Field("orig_qty", "$.q", "DOUBLE", min=0),
        Field("price", "$.p", "DOUBLE", min=0),
        Field("avg_price", "$.ap", "DOUBLE", min=0),
        Field("status", "$.X"),
        Field("last_filled_qty", "$.l", "DOUBLE", required=False),
        Field("filled_qty", "$.z", "DOUBLE", min=0),
        Field("trade_time_ms", "$.T", "BIGINT"),
        Field("received_at", "env:$.received_at", "TIMESTAMPTZ"),
    ),
    # Binance gives no order id: an order is its symbol, time, side, filled size and price
    key=("symbol", "trade_time_ms", "side", "filled_qty", "avg_price"),
    description="USD-M forceOrder events (!forceOrder@arr on the /market route), one per liquidation order",
)

# Bybit allLiquidation.<symbol>: {"topic", "type", "ts", "data": [{T, s, S, v, p}]}; S is the side of the
# liquidated position (Buy = long), v the size in coins for linear contracts.
BYBIT = Dataset(
    name=NAME,
    records="$.data",
    fields=(
        Field("symbol", "$.s"),
        Field("side", "$.S"),
        Field("size", "$.v", "DOUBLE", min=_POSITIVE),
        Field("price", "$.p", "DOUBLE", min=_POSITIVE),
        Field("time_ms", "$.T", "BIGINT"),
        Field("received_at", "env:$.received_at", "TIMESTAMPTZ"),
    ),
    key=("symbol", "time_ms", "side", "size", "price"),
    description="v5 allLiquidation pushes of the linear perpetuals",
)

# OKX liquidation-orders: {"arg", "data": [{instId, instType, instFamily, uly, details: [...]}]}; the
# same fields and key as the REST dataset `liquidations`, so one order hashes to one id on both channels.
OKX = Dataset(
    name=NAME,
    records="$.data[*].details",
    fields=(
        Field("inst_id", "parent:$.instId"),
        Field("inst_type", "parent:$.instType", required=False),
        Field("inst_family", "parent:$.instFamily", required=False),
        Field("uly", "parent:$.uly", required=False),
        Field("ts_ms", "$.ts", "BIGINT"),
        Field("side", "$.side"),
        Field("pos_side", "$.posSide", required=False),
        Field("sz", "$.sz", "DOUBLE", min=_POSITIVE),  # contracts
        Field("bk_px", "$.bkPx", "DOUBLE", min=_POSITIVE),
        Field("bk_loss", "$.bkLoss", "DOUBLE", required=False),
        Field("received_at", "env:$.received_at", "TIMESTAMPTZ"),
    ),
    key=("inst_id", "ts_ms", "side", "sz", "bk_px"),
    description="liquidation-orders pushes (instType SWAP), one row per order detail",
)

# BitMEX table liquidation, action insert: a liquidation order entering the book. The rows carry no time:
# the moment the collector received the message stands in. leavesQty is contracts (USD for XBTUSD).
BITMEX = Dataset(
    name=NAME,
    records="$.data",
    fields=(
        Field("order_id", "$.orderID"),
        Field("symbol", "$.symbol"),
        Field("side", "$.side"),
        Field("price", "$.price", "DOUBLE", min=_POSITIVE),
        Field("leaves_qty", "$.leavesQty", "DOUBLE", min=_POSITIVE),
        Field("received_at", "env:$.received_at", "TIMESTAMPTZ"),
    ),
    key=("order_id",),
    description="Realtime `liquidation` inserts (new liquidation orders); updates and deletes go to ws_control",
)

# Deribit trades.future.<currency>.100ms: {"method": "subscription", "params": {"channel", "data": [trade]}}.
# Every trade of the channel lands; `liquidation` (T, M, MT) marks the forced ones, staging keeps those.
DERIBIT = Dataset(
    name=NAME,
    records="$.params.data",
    fields=(
        Field("trade_id", "$.trade_id"),
        Field("trade_seq", "$.trade_seq", "BIGINT", required=False),
        Field("instrument_name", "$.instrument_name"),
        Field("timestamp_ms", "$.timestamp", "BIGINT"),
        Field("price", "$.price", "DOUBLE", min=_POSITIVE),
        Field("amount", "$.amount", "DOUBLE", min=_POSITIVE),  # USD for inverse instruments, coins for linear
        Field("direction", "$.direction"),  # the taker's side
        Field("liquidation", "$.liquidation", required=False),
        Field("index_price", "$.index_price", "DOUBLE", required=False),
        Field("received_at", "env:$.received_at", "TIMESTAMPTZ"),
    ),
    key=("instrument_name", "trade_id"),
    description="Trades of the futures channel; the liquidation flag marks forced ones",
)
