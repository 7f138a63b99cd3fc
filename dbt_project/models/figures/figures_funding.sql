-- The open-interest-weighted annualized funding rate per day and asset, plus ALL assets.
--   warehouse: funding_daily_total (each venue's annualized rate weighted by its USD open interest at the
--              day's close); a venue reports when it has both, the open interest fresh.
--   coinalyze: the mean of its hourly rates per market (the rate in force each hour of D), annualized at
--              the venue's settlement interval and weighted by Coinalyze's own open interest, over the
--              venues both have; the warehouse's figure is recomputed over the same venues next to it.
--   coinglass: the mean of its hourly OI-weighted rates (8-hour basis) × 3 × 365, over the exchanges it
--              tracks, taken as the expected venues; comparable when the warehouse has all of them.
with rules as (
    select distinct expected from {{ ref('figure_rules') }} where family = 'funding'
),

expected as (
    select distinct trim(unnest(string_split(expected, ','))) as exchange from rules
),

warehouse_venues as (
    select f.date, f.asset, f.exchange, f.annualized_rate, o.oi_usd, o.is_stale
    from {{ ref('funding_daily') }} as f
    left join {{ ref('open_interest_daily') }} as o using (date, asset, exchange)
),

-- the interval each venue settles at that day (the venue's own metadata, needed to annualize Coinalyze)
intervals as (
    select cast(funding_time as date) as date, asset, exchange, mode(interval_hours) as interval_hours
    from {{ ref('funding_rates') }}
    group by all
),

coinalyze_venues as (
    select r.date, r.asset, r.exchange,
           avg(r.rate) * 24 / any_value(i.interval_hours) * 365 as annualized_rate,
           count(*) as hours
    from {{ ref('stg_coinalyze__funding_rates') }} as r
    join intervals as i using (date, asset, exchange)
    where r.exchange is not null
    group by r.date, r.asset, r.exchange
),

venue_days as (
    select
        d.date, d.asset, e.exchange,
        coalesce(w.annualized_rate is not null and w.oi_usd > 0 and not w.is_stale, false) as reporting,
        case when w.annualized_rate is null then 'no funding'
             when w.oi_usd is null then 'no open interest'
             when w.is_stale then 'open interest stale' end as problem,
        w.annualized_rate, w.oi_usd,
        cz.annualized_rate as cz_rate, czo.open_interest_usd as cz_oi_usd
    from (select distinct date, asset from warehouse_venues) as d
    cross join expected as e
    left join warehouse_venues as w on w.date = d.date and w.asset = d.asset and w.exchange = e.exchange
    left join coinalyze_venues as cz on cz.date = d.date and cz.asset = d.asset and cz.exchange = e.exchange
        and cz.hours = 24
    left join (
        select date, asset, exchange, sum(open_interest_usd) as open_interest_usd
        from {{ ref('stg_coinalyze__open_interest') }} where exchange is not null group by all
    ) as czo on czo.date = d.date and czo.asset = d.asset and czo.exchange = e.exchange
),

venue_days_all as (
    select * from venue_days
    union all
    -- ALL: every venue-asset pair is one term of the weighted mean; a venue reports when it does for each asset
    select date, 'ALL', exchange, bool_and(reporting), string_agg(problem, ', '), null, null, null, null
    from venue_days
    group by date, exchange
),

coverage as (
    select date, asset,
           count(*) filter (where reporting) as reporting,
           count(*) as expected_count,
           string_agg(exchange || coalesce(' (' || problem || ')', ''), ', ' order by exchange)
               filter (where not reporting) as missing
    from venue_days_all
    group by date, asset
),

totals as (
    select date, asset, oi_weighted_annualized_rate as value, sources from {{ ref('funding_daily_total') }}
    union all
    select date, 'ALL',
           sum(annualized_rate * oi_usd) filter (where oi_usd > 0) / nullif(sum(oi_usd) filter (where oi_usd > 0), 0),
           array_to_string(list_sort(list_distinct(list(exchange))), ',')
    from warehouse_venues
    where annualized_rate is not null
    group by date
),

-- Coinalyze's weighted rate and the warehouse's over the venue-assets both have
coinalyze_pairs as (
    select date, asset, exchange, cz_rate, cz_oi_usd, annualized_rate, oi_usd
    from venue_days
    where reporting and cz_rate is not null and cz_oi_usd > 0
),

coinalyze as (
    select date, asset,
           sum(cz_rate * cz_oi_usd) / sum(cz_oi_usd) as value,
           sum(annualized_rate * oi_usd) / sum(oi_usd) as comparator,
           string_agg(exchange, ',' order by exchange) as covers,
           count(*) as covered
    from coinalyze_pairs
    group by date, asset
    union all
    select date, 'ALL', sum(cz_rate * cz_oi_usd) / sum(cz_oi_usd), sum(annualized_rate * oi_usd) / sum(oi_usd),
           string_agg(distinct exchange, ',' order by exchange), count(distinct exchange)
    from coinalyze_pairs
    group by date
),

coinglass_assets as (
    select date, asset, avg(rate_8h) * 3 * 365 as value, sum(candle_hours) as hours  -- 1h or 4h candles
    from {{ ref('stg_coinglass__funding_rates') }}
    group by all
),

refs as (
    select 'coinalyze' as source, date, asset, value, comparator, covers,
           case when covered < (select count(*) from expected)
                then 'coinalyze compared over ' || covered || ' of ' || (select count(*) from expected) || ' venues'
           end as note
    from coinalyze
    union all
    select 'coinglass', g.date, g.asset, g.value,
           case when c.reporting = c.expected_count and g.hours = 24 then t.value end,
           (select string_agg(exchange, ',' order by exchange) from expected),
           case when g.hours < 24 then 'coinglass has ' || g.hours || ' of 24 hours'
                when c.reporting < c.expected_count
                then 'coinglass weights every venue, not all of which the warehouse has' end
    from coinglass_assets as g
    join coverage as c using (date, asset)
    left join totals as t using (date, asset)
    union all
    -- CoinGlass publishes per coin, without its weights: nothing to combine across coins
    select 'coinglass', date, 'ALL', null, null, null, 'coinglass publishes no figure across coins'
    from coinglass_assets
    group by date
)

select w.date, 'funding_annualized_oi_weighted' as figure, w.asset, cast(null as varchar) as entity,
       'warehouse' as source, w.value, cast(null as double) as comparator, nullif(w.sources, '') as contributors,
       cast(c.reporting as integer) as reporting, cast(c.expected_count as integer) as expected_count, c.missing,
       case when w.value is null then 'no venue has both funding and open interest' end as note
from totals as w
left join coverage as c using (date, asset)

union all

select date, 'funding_annualized_oi_weighted', asset, null, source, value, comparator, covers, null, null, null, note
from refs
