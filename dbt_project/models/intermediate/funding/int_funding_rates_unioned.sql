-- Every venue's funding events in one shape. A new venue adds one line here.
-- funding_date is the UTC day a record counts for in funding_daily. Discrete settlements are payments at
-- funding_time to the positions open then, so they count for the day of funding_time (events over
-- [D 00:00, D+1 00:00)); Deribit's funding accrues continuously and its hourly records are stamped at the end
-- of their hour, so its staging model dates each record by the hour it covers. The venues whose staging
-- model states the day itself are listed in dated_in_staging; the rule per venue is in _int_funding.yml.
{% set venues = ['binance', 'bybit', 'okx', 'deribit', 'bitmex', 'hyperliquid'] %}
{% set dated_in_staging = ['deribit', 'bitmex', 'hyperliquid'] %}
{% for venue in venues %}
select exchange, symbol, asset, funding_time, rate, cast(interval_hours as double) as interval_hours,
       {{ 'funding_date' if venue in dated_in_staging else 'cast(funding_time as date)' }} as funding_date
from {{ ref('stg_' ~ venue ~ '__funding_rates') }}
where asset is not null
{% if not loop.last %}union all{% endif %}
{% endfor %}
