-- Every venue's funding events in one shape. A new venue adds one line here.
{% set venues = ['binance', 'bybit', 'okx', 'deribit', 'bitmex', 'hyperliquid'] %}
{% for venue in venues %}
select exchange, symbol, asset, funding_time, rate, cast(interval_hours as double) as interval_hours
from {{ ref('stg_' ~ venue ~ '__funding_rates') }}
where asset is not null
{% if not loop.last %}union all{% endif %}
{% endfor %}
