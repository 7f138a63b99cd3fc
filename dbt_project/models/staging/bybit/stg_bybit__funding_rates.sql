-- Bybit states the interval (minutes) on the instrument, not on the funding row.
with rates as (
    select * from {{ raw_or_empty('raw', 'bybit__funding_rates') }}
),
instruments as (
    select symbol, observed_date, funding_interval_min from {{ raw_or_empty('raw', 'bybit__instruments') }}
    where funding_interval_min is not null
)
select
    'bybit' as exchange,
    rates.symbol,
    {{ asset_from_symbol('rates.symbol') }} as asset,
    {{ ms_to_ts('rates.funding_time_ms') }} as funding_time,
    rates.funding_rate as rate,
    coalesce(
        (select i.funding_interval_min / 60.0 from instruments i
          where i.symbol = rates.symbol and i.observed_date <= cast({{ ms_to_ts('rates.funding_time_ms') }} as date)
          order by i.observed_date desc limit 1),
        (select i.funding_interval_min / 60.0 from instruments i where i.symbol = rates.symbol
          order by i.observed_date limit 1),
        8
    ) as interval_hours
from rates
