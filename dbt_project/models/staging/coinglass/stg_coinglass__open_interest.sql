-- CoinGlass's daily open interest per coin across the exchanges it tracks, in USD; the close of D's
-- candle is the state at D+1 00:00.
with candles as (
    select * from {{ source_or_empty('raw_aggregators', 'coinglass__open_interest_history', {
        'symbol': 'varchar', 'interval': 'varchar', 'time_ms': 'bigint', 'unit': 'varchar', 'open': 'double',
        'close': 'double', '_fetched_at': 'timestamptz'}) }}
    where interval = '1d' and lower(unit) = 'usd'
)

select
    cast({{ ms_to_ts('time_ms') }} as date) as date,
    upper(symbol) as asset,
    open as open_interest_open_usd,
    close as open_interest_usd,
    _fetched_at as fetched_at
from candles
