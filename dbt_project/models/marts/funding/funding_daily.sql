-- An event belongs to the UTC day of its funding time. Rates are first put on an 8-hour basis so
-- that hourly and 4-hourly venues average like 8-hourly ones.
select
    cast(funding_time as date) as date,
    asset,
    exchange,
    round(avg(rate * 8 / interval_hours), 12) as rate_8h,
    round(avg(rate * 8 / interval_hours) * 3 * 365, 12) as annualized_rate,
    count(*) as observations,
    string_agg(distinct symbol, ',' order by symbol) as symbols
from {{ ref('funding_rates') }}
group by 1, 2, 3
