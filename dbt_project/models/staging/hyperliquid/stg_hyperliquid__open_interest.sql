-- metaAndAssetCtxs lands as two records per answer: the meta (with the universe) and the bare array of
-- contexts in the universe's order. They are zipped by position (parallel unnest). openInterest is in
-- coins and taken as one side. The answer has no time: the l2Book time of the same run dates it.
with parts as (
    select run_id, observed_date, universe, _record
    from {{ source('raw_markets', 'hyperliquid__asset_contexts') }}
),
zipped as (
    select
        meta.run_id,
        meta.observed_date,
        unnest(json_extract_string(meta.universe, '$[*].name')) as coin,
        unnest(json_extract(ctxs._record, '$[*]')) as ctx
    from parts as meta
    join parts as ctxs on ctxs.run_id = meta.run_id and ctxs.universe is null
    where meta.universe is not null
),
times as (
    select run_id, coin, time_ms from {{ source('raw_markets', 'hyperliquid__book_times') }}
),
latest as (
    -- a rerun of the day lands another answer: the latest run speaks for the day
    select * from zipped
    qualify dense_rank() over (partition by observed_date order by run_id desc) = 1
)
select
    'hyperliquid' as exchange,
    latest.coin as symbol,
    {{ tracked_asset('latest.coin') }} as asset,
    'perpetual' as contract_type,
    'snapshot' as method,
    {{ ms_to_ts("coalesce(t.time_ms, (select min(x.time_ms) from times x where x.run_id = latest.run_id))") }} as observed_at,
    latest.observed_date as as_of_date,
    cast(latest.ctx ->> 'openInterest' as double) as oi_native,
    'coin' as native_unit,
    1.0 as base_per_native,
    cast(latest.ctx ->> 'openInterest' as double) as oi_base
from latest
left join times t on t.run_id = latest.run_id and t.coin = latest.coin
where {{ tracked_asset('latest.coin') }} is not null
