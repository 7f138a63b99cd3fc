-- A record belongs to its funding_date: the UTC day of a settlement's time, or for Deribit's hourly accrual
-- records the day of the hour they cover (int_funding_rates_unioned). Rates are first put on an 8-hour basis
-- so that hourly and 4-hourly venues average like 8-hourly ones.
-- Partial days (docs/verification.md): a row of a day the pipeline did not ingest, or that fewer venues
-- reached than ran for it, is kept but carries its day's coverage and is_complete_day = false.
with venue_days as (
    select
        funding_date as date,
        asset,
        exchange,
        round(avg(rate * 8 / interval_hours), 12) as rate_8h,
        round(avg(rate * 8 / interval_hours) * 3 * 365, 12) as annualized_rate,
        count(*) as observations,
        string_agg(distinct symbol, ',' order by symbol) as symbols
    from {{ ref('funding_rates') }}
    group by 1, 2, 3
)

select
    v.*,
    count(*) over (partition by v.date, v.asset) as exchanges_reporting,
    coalesce(i.sources_ran, 0) as exchanges_expected,
    i.date is not null and count(*) over (partition by v.date, v.asset) >= i.sources_ran as is_complete_day
from venue_days as v
left join {{ ref('int_days_ingested') }} as i on i.date = v.date and i.family = 'funding'
