-- One row per funding event; every rate also put on a yearly basis so venues compare directly.
-- Derived rates are rounded to 12 decimals: far below any venue's precision (1e-8), and it keeps
-- binary float noise out of comparisons and content hashes.
select
    exchange,
    symbol,
    asset,
    funding_time,
    rate,
    interval_hours,
    round(rate * 24 / interval_hours * 365, 12) as annualized_rate,
    funding_date
from {{ ref('int_funding_rates_unioned') }}
