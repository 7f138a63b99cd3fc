-- Open interest figures (USD at the day's close, and its 24h change) per day and asset, plus ALL assets.
--   warehouse: open_interest_daily_total, its change like for like (venues present both days). A venue
--              reports when open_interest_daily has a fresh observation for it (is_stale false).
--   coinalyze: per market, compared over the venues both have; the change from its candle's open (the
--              state at D 00:00) to its close (D+1 00:00).
--   coinglass: one aggregate over the exchanges it tracks, taken as the expected venues; comparable when
--              the warehouse has all of them.
with rules as (
    select distinct expected from {{ ref('figure_rules') }} where family = 'open_interest'
),

expected as (
    select distinct trim(unnest(string_split(expected, ','))) as exchange from rules
),

venue_rows as (
    select * from {{ ref('open_interest_daily') }}
),

coinalyze_rows as (
    select date, asset, exchange, sum(open_interest_usd) as oi_usd, sum(open_interest_open_usd) as oi_open_usd
    from {{ ref('stg_coinalyze__open_interest') }}
    where exchange is not null
    group by all
),

venue_days as (
    select
        d.date,
        d.asset,
        e.exchange,
        coalesce(v.oi_usd is not null and not v.is_stale, false) as reporting,
        case when v.is_stale then 'stale, observed ' || strftime(v.observed_at, '%Y-%m-%d %H:%M') end as problem,
        v.oi_usd,
        v.oi_usd - v.oi_usd_change_24h as oi_usd_previous,
        cz.oi_usd as cz_oi_usd,
        cz.oi_open_usd as cz_oi_open_usd
    from (select distinct date, asset from venue_rows) as d
    cross join expected as e
    left join venue_rows as v on v.date = d.date and v.asset = d.asset and v.exchange = e.exchange
    left join coinalyze_rows as cz on cz.date = d.date and cz.asset = d.asset and cz.exchange = e.exchange
),

venue_days_all as (
    select * from venue_days
    union all
    select date, 'ALL', exchange, bool_and(reporting), string_agg(problem, ', '), sum(oi_usd),
           sum(oi_usd_previous), sum(cz_oi_usd), sum(cz_oi_open_usd)
    from venue_days
    group by date, exchange
),

coverage as (
    select
        date,
        asset,
        count(*) filter (where reporting) as reporting,
        count(*) as expected_count,
        string_agg(exchange || coalesce(' (' || problem || ')', ''), ', ' order by exchange)
            filter (where not reporting) as missing
    from venue_days_all
    group by date, asset
),

totals as (
    select date, asset, oi_usd, oi_change_24h_pct, sources from {{ ref('open_interest_daily_total') }}
    union all
    -- both assets, on the same like-for-like rule as open_interest_daily_total
    select
        date,
        'ALL',
        sum(oi_usd),
        sum(oi_usd) filter (where oi_usd_change_24h is not null)
            / nullif(sum(oi_usd - oi_usd_change_24h) filter (where oi_usd_change_24h is not null), 0) - 1,
        array_to_string(list_sort(list_distinct(list(exchange))), ',')
    from venue_rows
    where oi_usd is not null
    group by date
),

coinalyze as (
    select
        date, asset,
        sum(cz_oi_usd) as oi_usd,
        sum(oi_usd) as wh_oi_usd,
        sum(cz_oi_usd) filter (where cz_oi_open_usd > 0 and oi_usd_previous > 0)
            / nullif(sum(cz_oi_open_usd) filter (where cz_oi_open_usd > 0 and oi_usd_previous > 0), 0) - 1
            as change_pct,
        sum(oi_usd) filter (where cz_oi_open_usd > 0 and oi_usd_previous > 0)
            / nullif(sum(oi_usd_previous) filter (where cz_oi_open_usd > 0 and oi_usd_previous > 0), 0) - 1
            as wh_change_pct,
        string_agg(exchange, ',' order by exchange) as covers,
        count(*) as covered
    from venue_days_all
    where reporting and cz_oi_usd is not null
    group by date, asset
),

coinglass as (
    select
        g.date, g.asset, g.open_interest_usd as oi_usd,
        g.open_interest_usd / nullif(g.open_interest_open_usd, 0) - 1 as change_pct,
        c.reporting = c.expected_count as comparable
    from {{ ref('stg_coinglass__open_interest') }} as g
    join coverage as c using (date, asset)
    union all
    select g.date, 'ALL', sum(g.open_interest_usd),
           sum(g.open_interest_usd) / nullif(sum(g.open_interest_open_usd), 0) - 1,
           bool_and(c.reporting = c.expected_count) and count(*) = (select count(distinct asset) from venue_rows)
    from {{ ref('stg_coinglass__open_interest') }} as g
    join coverage as c using (date, asset)
    group by g.date
),

refs as (
    select 'coinalyze' as source, date, asset, oi_usd, wh_oi_usd, change_pct, wh_change_pct, covers,
           case when covered < (select count(*) from expected)
                then 'coinalyze compared over ' || covered || ' of ' || (select count(*) from expected) || ' venues'
           end as note
    from coinalyze
    union all
    select 'coinglass', g.date, g.asset, g.oi_usd,
           case when g.comparable then t.oi_usd end,
           g.change_pct,
           case when g.comparable then t.oi_change_24h_pct end,
           (select string_agg(exchange, ',' order by exchange) from expected),
           case when not g.comparable then 'coinglass aggregates every venue, not all of which the warehouse has' end
    from coinglass as g
    left join totals as t using (date, asset)
)

select w.date, f.figure, w.asset, cast(null as varchar) as entity, 'warehouse' as source,
       case f.figure when 'open_interest_usd' then w.oi_usd else w.oi_change_24h_pct end as value,
       cast(null as double) as comparator,
       nullif(w.sources, '') as contributors,
       cast(c.reporting as integer) as reporting,
       cast(c.expected_count as integer) as expected_count,
       c.missing,
       case when f.figure = 'open_interest_change_24h_pct' and w.oi_change_24h_pct is null
            then 'no venue has open interest on the day before' end as note
from totals as w
cross join (values ('open_interest_usd'), ('open_interest_change_24h_pct')) as f(figure)
left join coverage as c using (date, asset)

union all

select r.date, f.figure, r.asset, null, r.source,
       case f.figure when 'open_interest_usd' then r.oi_usd else r.change_pct end,
       case f.figure when 'open_interest_usd' then r.wh_oi_usd else r.wh_change_pct end,
       r.covers, null, null, null, r.note
from refs as r
cross join (values ('open_interest_usd'), ('open_interest_change_24h_pct')) as f(figure)
