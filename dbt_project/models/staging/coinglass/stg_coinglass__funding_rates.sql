-- CoinGlass's hourly open-interest-weighted funding per coin: percent per 8 hours, here as a fraction
-- on an 8-hour basis (0.0001 = 0.01 % per 8 h).
with candles as (
    select * from {{ source_or_empty('raw_aggregators', 'coinglass__funding_oi_weighted', {
        'symbol': 'varchar', 'interval': 'varchar', 'time_ms': 'bigint', 'close': 'double',
        '_fetched_at': 'timestamptz'}) }}
    where interval = '1h'
)

select
    {{ ms_to_ts('time_ms') }} as funding_hour,
    cast({{ ms_to_ts('time_ms') }} as date) as date,
    upper(symbol) as asset,
    close / 100 as rate_8h,
    _fetched_at as fetched_at
from candles
