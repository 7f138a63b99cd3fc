-- Bybit's `S` is the side of the liquidated position (Buy = a long was liquidated), not the side of the
-- closing order that the other venues print. Linear contracts count coins. No id: the natural key is hashed.
select
    'bybit' as exchange,
    symbol,
    {{ asset_from_symbol('symbol') }} as asset,
    {{ liquidation_hash('bybit', ['symbol', 'time_ms', 'side', 'size', 'price']) }} as liquidation_id,
    case lower(side) when 'buy' then 'long' when 'sell' then 'short' end as side,
    price,
    size as quantity,
    round(size * price, 6) as notional_usd,
    {{ ms_to_ts('time_ms') }} as liquidated_at,
    cast(time_ms as bigint) as liquidated_ms,
    'websocket' as channel
from {{ raw_or_empty('raw_streams', 'bybit__liquidations_ws') }}
