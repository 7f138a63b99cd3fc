-- Every venue's option open interest snapshot in one shape (coins), for the options still alive after
-- the snapshot's close. Rows whose instrument terms are missing stay in staging, where a test flags them.
{% set venues = ['deribit', 'okx', 'bybit', 'binance'] %}
{% for venue in venues %}
select exchange, snapshot_date, instrument, asset, expiry, cast(strike as double) as strike, option_type,
       cast(open_interest_coins as double) as open_interest_coins, observed_at
from {{ ref('stg_' ~ venue ~ '__option_open_interest') }}
where asset is not null and expiry is not null and strike is not null and option_type is not null
  and expiry > {{ close_of('snapshot_date') }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
