-- CoinGlass's daily liquidations per coin in USD, summed over the exchanges the request named; those are
-- kept as venue keys (lower-cased CoinGlass names) so a comparison knows what the figure covers.
with candles as (
    select * from {{ source_or_empty('raw_aggregators', 'coinglass__liquidation_history', {
        'symbol': 'varchar', 'interval': 'varchar', 'time_ms': 'bigint', 'exchange_list': 'varchar',
        'long_usd': 'double', 'short_usd': 'double', '_fetched_at': 'timestamptz'}) }}
    where interval = '1d'
)

select
    cast({{ ms_to_ts('time_ms') }} as date) as date,
    upper(symbol) as asset,
    long_usd,
    short_usd,
    long_usd + short_usd as total_usd,
    array_to_string(list_sort(list_transform(string_split(exchange_list, ','), lambda x: lower(trim(x)))), ',') as exchanges,
    _fetched_at as fetched_at
from candles
