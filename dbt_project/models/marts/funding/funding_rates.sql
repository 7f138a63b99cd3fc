-- One row per funding event; every rate also put on a yearly basis so venues compare directly.
select
    exchange,
    symbol,
    asset,
    funding_time,
    rate,
    interval_hours,
    rate * 24 / interval_hours * 365 as annualized_rate
from {{ ref('int_funding_rates_unioned') }}
