-- metaAndAssetCtxs lands as two records per answer: the meta (with the universe) and the bare array of
-- contexts in the universe's order. They are zipped by position (parallel unnest). openInterest is in
-- coins and taken as one side (the warehouse's convention). Hyperliquid's info-endpoint docs
-- (https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/info-endpoint/perpetuals) do not say
-- which: not verified at the venue. Read as one side because every long is matched by a short on its order
-- book, ccxt maps it to openInterestAmount unchanged, and DefiLlama, whose open interest is one side by
-- rule (dimension-adapters PR #8144), takes openInterest × markPx as Hyperliquid's (PR #5554).
-- The answer has no time: the l2Book time of the same run dates it.
with parts as (
    select run_id, observed_date, universe, _record
    from {{ raw_or_empty('raw_markets', 'hyperliquid__asset_contexts') }}
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
    select run_id, coin, time_ms from {{ raw_or_empty('raw_markets', 'hyperliquid__book_times') }}
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
