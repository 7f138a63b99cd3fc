-- Per snapshot day, asset, venue and expiry: call and put open interest (coins), notional at the day's
-- close index, put/call ratio and max pain (macros/markets.sql, option_chain_summary).
-- Incremental by snapshot day (macros/incremental.sql): max pain pairs every strike of an expiry with every
-- other, so a rebuild of the year costs the year; a daily run redoes the last days only.
{{ config(materialized='incremental', incremental_strategy='replace_from', post_hook='{{ record_rebuild_watermark() }}', rebuild_inputs='int_options_unioned',
          rebuild_time_column='snapshot_date', on_schema_change='fail') }}
{% set chain %}(select * from {{ ref('int_options_unioned') }} where {{ rebuild_filter(ref('int_options_unioned'), 'snapshot_date') }}){% endset %}
with summary as (
    {{ option_chain_summary(chain, ['snapshot_date', 'asset', 'exchange', 'expiry']) }}
),
observed as (
    select snapshot_date, asset, exchange, max(observed_at) as observed_at
    from {{ chain }}
    group by all
)
select
    s.snapshot_date,
    s.asset,
    s.exchange,
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
    o.observed_at,
    abs(date_diff('second', {{ close_of('s.snapshot_date') }}, o.observed_at)) > {{ var('oi_stale_hours', 3) }} * 3600
        as is_stale
from summary s
left join observed o using (snapshot_date, asset, exchange)
left join {{ ref('int_prices_daily') }} p on p.date = s.snapshot_date and p.asset = s.asset
