-- Binance settles at the interval fundingInfo reports for the symbol, or 8 hours when it is not listed.
with rates as (
    select * from {{ raw_or_empty('raw', 'binance__funding_rates') }}
),
info as (
    select symbol, observed_date, funding_interval_hours from {{ raw_or_empty('raw', 'binance__funding_info') }}
)
select
    'binance' as exchange,
    rates.symbol,
    {{ asset_from_symbol('rates.symbol') }} as asset,
    {{ ms_to_ts('rates.funding_time_ms') }} as funding_time,
    rates.funding_rate as rate,
    coalesce(
        -- the observation in force on the event's day, else the earliest one we have
        (select i.funding_interval_hours from info i
          where i.symbol = rates.symbol and i.observed_date <= cast({{ ms_to_ts('rates.funding_time_ms') }} as date)
          order by i.observed_date desc limit 1),
        (select i.funding_interval_hours from info i where i.symbol = rates.symbol order by i.observed_date limit 1),
        8
    ) as interval_hours,
    rates.mark_price
from rates
