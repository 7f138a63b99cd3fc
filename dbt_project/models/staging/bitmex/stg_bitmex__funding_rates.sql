-- BitMEX encodes the interval as a time after 2000-01-01 (08:00 = 8 hours).
select
    'bitmex' as exchange,
    symbol,
    {{ asset_from_symbol('symbol') }} as asset,
    funding_at as funding_time,
    funding_rate as rate,
    coalesce(
        nullif(date_diff('second', timestamp '2000-01-01 00:00:00', funding_interval) / 3600.0, 0),
        8
    ) as interval_hours
from {{ source('raw', 'bitmex__funding_rates') }}
