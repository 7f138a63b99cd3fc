-- Binance prints the liquidation order: SELL closes (liquidates) a long, BUY a short. `filled_qty` (z) is the
-- size filled in coins and `avg_price` (ap) the average fill price; the order's limit price stands in only
-- when the venue sends no average. Binance gives no order id: the id hashes the order's natural key.
with orders as (
    select * from {{ raw_or_empty('raw_streams', 'binance__liquidations_ws') }}
),

priced as (
    select *, coalesce(nullif(avg_price, 0), price) as fill_price from orders
)

select
    'binance' as exchange,
    symbol,
    {{ asset_from_symbol('symbol') }} as asset,
    {{ liquidation_hash('binance', ['symbol', 'trade_time_ms', 'side', 'filled_qty', 'avg_price']) }} as liquidation_id,
    case upper(side) when 'SELL' then 'long' when 'BUY' then 'short' end as side,
    fill_price as price,
    filled_qty as quantity,
    round(filled_qty * fill_price, 6) as notional_usd,
    {{ ms_to_ts('trade_time_ms') }} as liquidated_at,
    cast(trade_time_ms as bigint) as liquidated_ms,
    'websocket' as channel
from priced
