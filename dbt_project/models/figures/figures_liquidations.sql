-- Liquidation figures per day and asset (and ALL assets), as the warehouse has them and as each
-- reference aggregator has them over the same venues.
--   warehouse: liquidations_daily (per asset) and its sum over assets (ALL). A venue reports a day when
--              it was watched all 24 hours (liquidations_daily_by_exchange.hours_covered).
--   coinalyze: per market, so it is compared over the venues both it and the warehouse have for the day.
--   coinglass: one sum over the exchanges it was asked for; comparable when the warehouse has all of them.
-- The 30-day mean is compared as the mean of each source's daily long shares over the 30 days before D.
{% set days = var('liquidation_baseline_days', 30) | int %}
with rules as (
    select distinct expected from {{ ref('figure_rules') }} where family = 'liquidations'
),

expected as (
    select distinct trim(unnest(string_split(expected, ','))) as exchange from rules
),

by_exchange as (
    select * from {{ ref('liquidations_daily_by_exchange') }}
),

-- every day and asset of the mart × every expected venue: what the warehouse and Coinalyze have
venue_days as (
    select
        d.date,
        d.asset,
        e.exchange,
        coalesce(b.hours_covered, 0) >= 24 as reporting,
        coalesce(b.hours_covered, 0) as hours_covered,
        coalesce(b.completeness = 'sampled_lower_bound', false) as sampled,
        b.long_usd,
        b.total_usd,
        cz.long_usd as cz_long_usd,
        cz.total_usd as cz_total_usd
    from (select distinct date, asset from by_exchange) as d
    cross join expected as e
    left join by_exchange as b on b.date = d.date and b.asset = d.asset and b.exchange = e.exchange
    left join (
        select date, asset, exchange, sum(long_usd) as long_usd, sum(total_usd) as total_usd
        from {{ ref('stg_coinalyze__liquidations') }}
        where exchange is not null
        group by all
    ) as cz on cz.date = d.date and cz.asset = d.asset and cz.exchange = e.exchange
),

-- the same grid with ALL assets: a venue reports ALL when it reports every asset
venue_days_all as (
    select * from venue_days
    union all
    select date, 'ALL', exchange, bool_and(reporting), min(hours_covered), bool_or(sampled), sum(long_usd),
           sum(total_usd), sum(cz_long_usd), sum(cz_total_usd)
    from venue_days
    group by date, exchange
),

coverage as (
    select
        date,
        asset,
        count(*) filter (where reporting) as reporting,
        count(*) as expected_count,
        string_agg(exchange || case when hours_covered > 0 then ' (' || hours_covered || '/24 h)' else '' end, ', '
                   order by exchange) filter (where not reporting) as missing,
        string_agg(exchange, ', ' order by exchange) filter (where reporting and sampled) as sampled
    from venue_days_all
    group by date, asset
),

-- venues counted from a sampled feed on any day of the baseline window
window_sampled as (
    select v.date, v.asset, string_agg(distinct p.exchange, ', ' order by p.exchange) as sampled
    from (select distinct date, asset from venue_days_all) as v
    join venue_days_all as p
        on p.asset = v.asset and p.date between v.date - {{ days }} and v.date - 1 and p.reporting and p.sampled
    group by v.date, v.asset
),

warehouse as (
    select date, asset, long_usd, total_usd, long_ratio, long_ratio_30d_avg, sources
    from {{ ref('liquidations_daily') }}
    union all
    select
        date,
        'ALL',
        sum(long_usd),
        sum(total_usd),
        sum(long_usd) / nullif(sum(total_usd), 0),
        null,
        array_to_string(list_sort(list_distinct(flatten(list(string_split(nullif(sources, ''), ','))))), ',')
    from {{ ref('liquidations_daily') }}
    group by date
),

-- the ALL baseline follows liquidations_daily's rule: the mean of the 30 days before, all 30 present
warehouse_baseline as (
    select
        w.* exclude (long_ratio_30d_avg),
        case when w.asset <> 'ALL' then w.long_ratio_30d_avg
             when count(*) over previous = {{ days }} then avg(w.long_ratio) over previous end as long_ratio_30d_avg
    from warehouse as w
    window previous as (partition by w.asset order by w.date
                        range between interval {{ days }} days preceding and interval 1 day preceding)
),

-- venue-days reported over the baseline window, and which venues missed days
window_coverage as (
    select
        v.date,
        v.asset,
        count(*) filter (where p.reporting) as reporting,
        {{ days }} * (select count(*) from expected) as expected_count
    from (select distinct date, asset from venue_days_all) as v
    left join venue_days_all as p
        on p.asset = v.asset and p.date between v.date - {{ days }} and v.date - 1
    group by v.date, v.asset
),

window_missing as (
    select date, asset, string_agg(exchange || ' (' || missed || ' of {{ days }} days)', ', ' order by exchange) as missing
    from (
        select v.date, v.asset, e.exchange,
               {{ days }} - count(*) filter (where p.reporting) as missed
        from (select distinct date, asset from venue_days_all) as v
        cross join expected as e
        left join venue_days_all as p
            on p.asset = v.asset and p.exchange = e.exchange and p.date between v.date - {{ days }} and v.date - 1
        group by v.date, v.asset, e.exchange
    )
    where missed > 0
    group by date, asset
),

-- Coinalyze over the venues both have that day
coinalyze as (
    select
        date,
        asset,
        sum(cz_total_usd) as total_usd,
        sum(cz_long_usd) / nullif(sum(cz_total_usd), 0) as long_ratio,
        sum(total_usd) as wh_total_usd,
        sum(long_usd) / nullif(sum(total_usd), 0) as wh_long_ratio,
        string_agg(exchange, ',' order by exchange) as covers,
        count(*) as covered
    from venue_days_all
    where reporting and cz_total_usd is not null
    group by date, asset
),

coinglass_days as (
    select
        g.date,
        g.asset,
        g.long_usd,
        g.total_usd,
        g.exchanges,
        -- comparable only when the warehouse has every exchange CoinGlass summed
        bool_and(coalesce(v.reporting, false)) as comparable,
        sum(v.total_usd) as wh_total_usd,
        sum(v.long_usd) as wh_long_usd
    from {{ ref('stg_coinglass__liquidations') }} as g
    cross join unnest(string_split(g.exchanges, ',')) as x(exchange)
    left join venue_days as v on v.date = g.date and v.asset = g.asset and v.exchange = x.exchange
    group by all
),

coinglass as (
    select date, asset, total_usd, long_usd / nullif(total_usd, 0) as long_ratio,
           case when comparable then wh_total_usd end as wh_total_usd,
           case when comparable then wh_long_usd / nullif(wh_total_usd, 0) end as wh_long_ratio,
           exchanges as covers, comparable
    from coinglass_days
    union all
    select date, 'ALL', sum(total_usd), sum(long_usd) / nullif(sum(total_usd), 0),
           case when bool_and(comparable) then sum(wh_total_usd) end,
           case when bool_and(comparable) then sum(wh_long_usd) / nullif(sum(wh_total_usd), 0) end,
           min(exchanges), bool_and(comparable)
    from coinglass_days
    group by date
    having count(*) = (select count(distinct asset) from by_exchange)
),

refs as (
    select 'coinalyze' as source, date, asset, total_usd, long_ratio, wh_total_usd, wh_long_ratio, covers,
           case when covered < (select count(*) from expected)
                then 'coinalyze compared over ' || covered || ' of ' || (select count(*) from expected) || ' venues'
           end as note
    from coinalyze
    union all
    select 'coinglass', date, asset, total_usd, long_ratio, wh_total_usd, wh_long_ratio, covers,
           case when not comparable then 'coinglass sums ' || covers || ', not all of which the warehouse has' end
    from coinglass
),

ref_baselines as (
    select
        r.*,
        case when count(*) over previous = {{ days }} then avg(r.long_ratio) over previous end as long_ratio_30d_avg,
        case when count(r.wh_long_ratio) over previous = {{ days }} then avg(r.wh_long_ratio) over previous end
            as wh_long_ratio_30d_avg
    from refs as r
    window previous as (partition by r.source, r.asset order by r.date
                        range between interval {{ days }} days preceding and interval 1 day preceding)
),

figures as (
    -- the warehouse's own values
    select w.date, f.figure, w.asset, 'warehouse' as source,
           case f.figure when 'liquidations_total_usd' then w.total_usd
                         when 'long_liquidation_ratio' then w.long_ratio
                         else w.long_ratio_30d_avg end as value,
           null::double as comparator,
           nullif(w.sources, '') as contributors,
           case when f.figure = 'long_liquidation_ratio_30d_avg' then wc.reporting else c.reporting end as reporting,
           case when f.figure = 'long_liquidation_ratio_30d_avg' then wc.expected_count else c.expected_count end
               as expected_count,
           case when f.figure = 'long_liquidation_ratio_30d_avg' then wm.missing else c.missing end as missing,
           case when f.figure = 'long_liquidation_ratio_30d_avg' and w.long_ratio_30d_avg is null
                then 'fewer than {{ days }} days of history before this day' end as note,
           -- docs/verification.md "Sampled feeds": such a figure is a floor (or an estimate, for the shares)
           case when f.figure = 'long_liquidation_ratio_30d_avg' and ws.sampled is not null
                then 'the 30 days include venues counted from sampled feeds (' || ws.sampled || ')'
                when f.figure = 'liquidations_total_usd' and c.sampled is not null
                then 'a lower bound: ' || c.sampled || ' counted from a sampled feed, which shows only some liquidations'
                when f.figure = 'long_liquidation_ratio' and c.sampled is not null
                then 'estimated from a sample: ' || c.sampled || ' counted from a sampled feed, which shows only some liquidations'
           end as sampled_note
    from warehouse_baseline as w
    cross join (values ('liquidations_total_usd'), ('long_liquidation_ratio'), ('long_liquidation_ratio_30d_avg'))
        as f(figure)
    left join coverage as c using (date, asset)
    left join window_coverage as wc using (date, asset)
    left join window_missing as wm using (date, asset)
    left join window_sampled as ws using (date, asset)

    union all

    -- each reference, and the warehouse's value over the same venues
    select r.date, f.figure, r.asset, r.source,
           case f.figure when 'liquidations_total_usd' then r.total_usd
                         when 'long_liquidation_ratio' then r.long_ratio
                         else r.long_ratio_30d_avg end,
           case f.figure when 'liquidations_total_usd' then r.wh_total_usd
                         when 'long_liquidation_ratio' then r.wh_long_ratio
                         else r.wh_long_ratio_30d_avg end,
           r.covers, null, null, null,
           case when f.figure = 'long_liquidation_ratio_30d_avg' and r.long_ratio_30d_avg is null
                then r.source || ' has fewer than {{ days }} days before this day'
                else r.note end,
           null
    from ref_baselines as r
    cross join (values ('liquidations_total_usd'), ('long_liquidation_ratio'), ('long_liquidation_ratio_30d_avg'))
        as f(figure)
)

select
    date,
    figure,
    asset,
    cast(null as varchar) as entity,
    source,
    value,
    comparator,
    contributors,
    cast(reporting as integer) as reporting,
    cast(expected_count as integer) as expected_count,
    missing,
    note,
    sampled_note
from figures
