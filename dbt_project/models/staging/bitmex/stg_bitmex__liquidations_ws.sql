-- BitMEX prints the liquidation order's side (Sell = a long was liquidated) and no time: the moment the
-- collector received the insert stands in. `leaves_qty` counts contracts:
-- - XBTUSD is inverse, 1 contract = 1 USD: coins = contracts / price, USD = contracts;
-- - ETHUSD is a quanto worth 1e-6 XBT per USD of ETH price per contract: its ETH amount is its XBT value
--   over ETH/XBT, i.e. contracts x 1e-6 x XBT/USD, whatever the ETH price. XBT/USD is taken from the
--   nearest XBTUSD liquidation on BitMEX itself (at or before the event, else the next one after).
-- Other contracts have no conversion here: their size stays null (and shows in int_liquidations_rejected).
with orders as (
    select *, cast(received_at as timestamp) as received_ts
    from {{ raw_or_empty('raw_streams', 'bitmex__liquidations_ws') }}
),

xbt as (
    select received_ts as xbt_ts, price as xbt_usd from orders where symbol = 'XBTUSD'
),

with_xbt as (
    select orders.*, coalesce(before.xbt_usd, after.xbt_usd) as xbt_usd
    from orders
    asof left join xbt as before on orders.received_ts >= before.xbt_ts
    asof left join xbt as after on orders.received_ts <= after.xbt_ts
),

sized as (
    select
        *,
        case
            when symbol = 'XBTUSD' then leaves_qty / price
            when symbol = 'ETHUSD' then leaves_qty * {{ bitmex_quanto_xbt_per_usd() }} * xbt_usd
        end as coins
    from with_xbt
)

select
    'bitmex' as exchange,
    symbol,
    {{ asset_from_symbol('symbol') }} as asset,
    order_id as liquidation_id,
    case lower(side) when 'sell' then 'long' when 'buy' then 'short' end as side,
    price,
    round(coins, 10) as quantity,
    round(case when symbol = 'XBTUSD' then leaves_qty else coins * price end, 6) as notional_usd,
    received_ts as liquidated_at,
    epoch_ms(received_ts) as liquidated_ms,
    'websocket' as channel
from sized
