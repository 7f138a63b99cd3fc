-- The USD price of each asset at each day's close (D+1 00:00 UTC), from every source that observed it
-- within `price_close_tolerance_minutes` of the close (kline closes land on it; snapshots at the run).
-- Per source and price type the observation nearest the close counts. price_usd is the median of the
-- index observations (the spot composites), or of the marks when no index was seen; max_deviation is
-- the largest relative distance of any counted observation, index or mark, from it.
with obs as (
    select *, date_trunc('day', observed_at + interval 12 hour) as close_at
    from {{ ref('int_prices_unioned') }}
),
nearest as (
    select
        cast(close_at - interval 1 day as date) as date,
        asset, exchange, price_type, instrument, method, observed_at, price,
        abs(date_diff('second', close_at, observed_at)) as offset_s
    from obs
    where abs(date_diff('second', close_at, observed_at)) <= {{ var('price_close_tolerance_minutes', 45) }} * 60
    qualify row_number() over (partition by close_at, asset, exchange, price_type order by offset_s, observed_at) = 1
),
agg as (
    select
        date,
        asset,
        median(price) filter (where price_type = 'index') as index_price_usd,
        median(price) filter (where price_type = 'mark') as mark_price_usd,
        string_agg(exchange || ':' || price_type, ',' order by exchange, price_type) as sources,
        count(distinct exchange) as source_count,
        count(*) as observations,
        max(offset_s) / 60.0 as max_offset_minutes
    from nearest
    group by date, asset
)
select
    agg.date,
    agg.asset,
    coalesce(agg.index_price_usd, agg.mark_price_usd) as price_usd,
    case when agg.index_price_usd is not null then 'index' else 'mark' end as price_basis,
    agg.index_price_usd,
    agg.mark_price_usd,
    agg.sources,
    agg.source_count,
    agg.observations,
    agg.max_offset_minutes,
    round(max(abs(n.price / coalesce(agg.index_price_usd, agg.mark_price_usd) - 1)), 10) as max_deviation
from agg
join nearest n using (date, asset)
group by all
