-- One row per liquidation event.
-- A venue read on both channels reports each event twice. A websocket row is the same event as a REST
-- row when both carry the same id, or the same symbol, side, price and quantity at times at most
-- `liquidation_match_window_ms` apart (both channels print the venue's own time; the window absorbs a
-- feed stamping the fill rather than the order). The REST row stays (its id, channel 'rest'). Pairs are
-- one to one: a websocket row is matched to the nearest REST row that has it as its own nearest, so
-- two genuine identical liquidations a moment apart are not folded into one.
-- Incremental by day range (macros/incremental.sql): a daily run redoes the last days only, not the year.
{{ config(materialized='incremental', incremental_strategy='replace_from', post_hook='{{ record_rebuild_watermark() }}', rebuild_inputs='int_liquidations_unioned',
          on_schema_change='fail') }}
{% set window_ms = var('liquidation_match_window_ms', 2000) %}
-- the days to rebuild first, on their own: with the checks below in the same filter, DuckDB pushed them
-- into every feed's view ahead of the day range and evaluated them over the whole history (2.3 s a run at
-- a year, against 0.5 s)
with since as materialized (
    select * from {{ ref('int_liquidations_unioned') }}
    where {{ rebuild_filter(ref('int_liquidations_unioned'), ms_column='liquidated_ms') }}
),

valid as (
    select * from since
    where asset is not null
        and liquidation_id is not null
        and side in ('long', 'short')
        and price > 0
        and quantity > 0
        and notional_usd > 0
        and liquidated_at is not null
),

-- a feed that delivered one event twice (a replayed page or message) keeps it once
distinct_events as (
    select * from valid
    qualify row_number() over (partition by exchange, channel, liquidation_id order by liquidated_at) = 1
),

rest as (select * from distinct_events where channel = 'rest'),
ws as (select * from distinct_events where channel = 'websocket'),

same_id as (
    select ws.exchange, ws.liquidation_id as ws_id
    from ws
    inner join rest on rest.exchange = ws.exchange and rest.liquidation_id = ws.liquidation_id
),

candidates as (
    select
        ws.exchange,
        ws.liquidation_id as ws_id,
        rest.liquidation_id as rest_id,
        abs(date_diff('millisecond', ws.liquidated_at, rest.liquidated_at)) as gap_ms
    from ws
    inner join rest
        on rest.exchange = ws.exchange
        and rest.symbol = ws.symbol
        and rest.side = ws.side
        and abs(rest.price - ws.price) <= 1e-9 * rest.price
        and abs(rest.quantity - ws.quantity) <= 1e-9 * rest.quantity
        and abs(date_diff('millisecond', ws.liquidated_at, rest.liquidated_at)) <= {{ window_ms }}
),

matched as (
    select exchange, ws_id from candidates
    qualify row_number() over (partition by exchange, ws_id order by gap_ms, rest_id) = 1
        and row_number() over (partition by exchange, rest_id order by gap_ms, ws_id) = 1
),

duplicates as (
    select exchange, ws_id from same_id
    union
    select exchange, ws_id from matched
)

select liquidation_id, exchange, symbol, asset, side, price, quantity, notional_usd, liquidated_at, channel
from distinct_events as e
where not (
    e.channel = 'websocket'
    and exists (select 1 from duplicates as d where d.exchange = e.exchange and d.ws_id = e.liquidation_id)
)
