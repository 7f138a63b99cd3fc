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
    ) as interval_hours,
    -- A settlement is a payment at funding_at (04:00, 12:00, 20:00 UTC) to the positions open then, at a rate
    -- set from the premium index of the 8-hour window that ended at the PREVIOUS settlement
    -- (https://support.bitmex.com/hc/en-gb/articles/24430352016157): it counts for the day of its time.
    cast(funding_at as date) as funding_date
from {{ raw_or_empty('raw', 'bitmex__funding_rates') }}
