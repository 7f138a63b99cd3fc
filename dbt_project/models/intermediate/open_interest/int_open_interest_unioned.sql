-- Every venue's open interest observations in one shape, one side, in base coins. A venue adds one line.
{% set venues = ['binance', 'bybit', 'okx', 'deribit', 'bitmex', 'hyperliquid'] %}
{% for venue in venues %}
select exchange, symbol, asset, contract_type, method, observed_at, as_of_date, oi_native, native_unit,
       cast(base_per_native as double) as base_per_native, cast(oi_base as double) as oi_base
from {{ ref('stg_' ~ venue ~ '__open_interest') }}
where asset is not null
{% if not loop.last %}union all{% endif %}
{% endfor %}
