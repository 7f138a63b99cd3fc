-- One row per liquidation event, each channel's duplicates removed (see int_liquidations_deduplicated).
-- A view: the deduplicated events (20 million rows a year) are written once, by the incremental
-- int_liquidations_deduplicated; a table here would copy all of them again on every full build.
{{ config(materialized='view') }}
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
