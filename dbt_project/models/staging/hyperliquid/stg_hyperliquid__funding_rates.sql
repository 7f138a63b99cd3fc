-- Hyperliquid settles every hour.
select
    'hyperliquid' as exchange,
    coin as symbol,
    {{ asset_from_symbol('coin') }} as asset,
    {{ ms_to_ts('time_ms') }} as funding_time,
    funding_rate as rate,
    1 as interval_hours,
    premium
from {{ source('raw', 'hyperliquid__funding_rates') }}
