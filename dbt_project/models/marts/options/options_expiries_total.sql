-- Per snapshot day, asset and expiry over all venues: open interest summed, max pain over the merged
-- chain (the same strike listed on several venues counts once, with their interest added).
-- is_next_expiry marks the first expiry after the snapshot's close.
-- Incremental by snapshot day, as options_expiries.
{{ config(materialized='incremental', incremental_strategy='replace_from', post_hook='{{ record_rebuild_watermark() }}', rebuild_inputs='int_options_unioned',
          rebuild_time_column='snapshot_date', on_schema_change='fail') }}
{% set chain %}(select * from {{ ref('int_options_unioned') }} where {{ rebuild_filter(ref('int_options_unioned'), 'snapshot_date') }}){% endset %}
with summary as (
    {{ option_chain_summary(chain, ['snapshot_date', 'asset', 'expiry']) }}
),
venues as (
    select snapshot_date, asset, expiry, count(distinct exchange) as exchanges_reporting,
           string_agg(distinct exchange, ',' order by exchange) as sources
    from {{ chain }}
    group by all
)
select
    s.snapshot_date,
    s.asset,
    s.expiry,
    round(date_diff('second', {{ close_of('s.snapshot_date') }}, s.expiry) / 86400.0, 6) as days_to_expiry,
    round(s.call_oi, 8) as call_oi,
    round(s.put_oi, 8) as put_oi,
    round(s.call_oi + s.put_oi, 8) as total_oi,
    round((s.call_oi + s.put_oi) * p.price_usd, 2) as notional_usd,
    round(s.put_oi / nullif(s.call_oi, 0), 10) as put_call_ratio,
    s.max_pain_strike,
    round(s.max_pain_payout_usd, 2) as max_pain_payout_usd,
    s.strikes,
    s.expiry = min(s.expiry) over (partition by s.snapshot_date, s.asset) as is_next_expiry,
    v.exchanges_reporting,
    v.sources,
    -- partial days (docs/verification.md): the option venues D's ingest ran; the day's snapshot is complete
    -- when the pipeline ran for the date and each of them reported a chain that day
    coalesce(ran.sources_ran, 0) as exchanges_expected,
    coalesce(ran.sources_ran <= d.venues_that_day, false) as is_complete_day
from summary s
join venues v using (snapshot_date, asset, expiry)
join (select snapshot_date, asset, count(distinct exchange) as venues_that_day
      from {{ chain }} group by all) as d using (snapshot_date, asset)
left join {{ ref('int_days_ingested') }} as ran on ran.date = s.snapshot_date and ran.family = 'options'
left join {{ ref('int_prices_daily') }} p on p.date = s.snapshot_date and p.asset = s.asset
