-- One row per liquidation event, each channel's duplicates removed (see int_liquidations_deduplicated).
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
