-- All venues' perpetual open interest per UTC day and asset. The 24h change is like for like: only
-- venues that reported on both days count, so a venue missing a day does not read as a collapse.
-- A venue is expected when it reported the asset at least once in the last seven days.
with days as (
    select * from {{ ref('open_interest_daily') }}
),
expected as (
    select d.date, d.asset, count(distinct w.exchange) as exchanges_expected
    from (select distinct date, asset from days) d
    join days w on w.asset = d.asset and w.date between d.date - 6 and d.date
    group by d.date, d.asset
)
select
    days.date,
    days.asset,
    round(sum(days.oi_base), 8) as oi_base,
    round(sum(days.oi_usd), 2) as oi_usd,
    round(sum(days.oi_usd) filter (where days.oi_usd_change_24h is not null)
          / nullif(sum(days.oi_usd - days.oi_usd_change_24h) filter (where days.oi_usd_change_24h is not null), 0)
          - 1, 10) as oi_change_24h_pct,
    count(*) filter (where days.oi_usd is not null) as exchanges_reporting,
    max(expected.exchanges_expected) as exchanges_expected,
    count(*) filter (where days.is_stale) as exchanges_stale,
    string_agg(days.exchange, ',' order by days.exchange) as sources,
    -- partial days (docs/verification.md): kept, flagged unless D's ingest ran and every expected venue reported
    any_value(ran.date) is not null as day_ingested,
    any_value(ran.date) is not null
        and count(*) filter (where days.oi_usd is not null) >= greatest(max(expected.exchanges_expected),
                                                                      any_value(ran.sources_ran)) as is_complete_day
from days
join expected using (date, asset)
left join {{ ref('int_days_ingested') }} as ran on ran.date = days.date and ran.family = 'open_interest'
group by days.date, days.asset
