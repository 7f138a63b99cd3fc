-- Every liquidation feed in the staging contract's shape, all channels; a new feed is one entry in
-- the liquidation_feeds() macro.
{% for feed in liquidation_feeds() %}
select
    cast(exchange as varchar) as exchange,
    cast(symbol as varchar) as symbol,
    cast(asset as varchar) as asset,
    cast(liquidation_id as varchar) as liquidation_id,
    cast(side as varchar) as side,
    cast(price as double) as price,
    cast(quantity as double) as quantity,
    cast(notional_usd as double) as notional_usd,
    cast(liquidated_at as timestamp) as liquidated_at,
    cast(liquidated_ms as bigint) as liquidated_ms,
    cast(channel as varchar) as channel
from {{ ref(feed.model) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
