-- One row per liquidation event, each channel's duplicates removed (see int_liquidations_deduplicated).
-- Incremental by day range like its input (macros/incremental.sql): 20 million rows a year are not rewritten daily.
{{ config(materialized='incremental', incremental_strategy='replace_from',
          rebuild_inputs='int_liquidations_deduplicated', on_schema_change='fail') }}
select
    liquidation_id,
    exchange,
    symbol,
    asset,
    side,
    price,
    quantity,
    notional_usd,
    liquidated_at,
    channel
from {{ ref('int_liquidations_deduplicated') }}
where {{ rebuild_filter(ref('int_liquidations_deduplicated')) }}
