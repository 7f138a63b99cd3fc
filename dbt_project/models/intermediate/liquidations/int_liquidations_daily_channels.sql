-- Liquidation totals per UTC day, asset, venue and channel: the events (20 million a year) summed once, by
-- day range (macros/incremental.sql), so the daily marts read a few thousand rows instead of every event
-- on every run. The sums stay DECIMAL(38, 6), exact (macros/numbers.sql): a mart adding these rows up gets
-- the very number it would get summing the events.
{{ config(materialized='incremental', incremental_strategy='replace_from', post_hook='{{ record_rebuild_watermark() }}',
          rebuild_inputs='int_liquidations_deduplicated', rebuild_time_column='date', on_schema_change='fail') }}
{% set start = rebuild_from(ref('int_liquidations_deduplicated'), 'date') %}
select
    cast(liquidated_at as date) as date,
    asset,
    exchange,
    channel,
    {{ exact_decimal_sum('notional_usd', filter="side = 'long'") }} as long_usd,
    {{ exact_decimal_sum('notional_usd', filter="side = 'short'") }} as short_usd,
    {{ exact_decimal_sum('notional_usd') }} as total_usd,
    count(*) as events
from {{ ref('int_liquidations_deduplicated') }}
{% if start is not none %}where liquidated_at >= cast('{{ start }}' as timestamp){% endif %}
group by all
