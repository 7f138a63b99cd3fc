-- Every price observation (index and mark) of every price source in one shape, in USD.
{% set sources = ['binance', 'bybit', 'deribit'] %}
{% for venue in sources %}
select exchange, asset, price_type, instrument, method, observed_at, cast(price as double) as price
from {{ ref('stg_' ~ venue ~ '__prices') }}
where asset is not null and price > 0
{% if not loop.last %}union all{% endif %}
{% endfor %}
