-- Coinalyze's hourly funding per market: the rate in force in that hour, percent per the market's own
-- interval, here as a fraction (0.0001 = 0.01 % per interval).
with candles as (
    select * from {{ source_or_empty('raw_aggregators', 'coinalyze__funding_rate_history', {
        'symbol': 'varchar', 'interval': 'varchar', 't_s': 'bigint', 'close': 'double',
        '_fetched_at': 'timestamptz'}) }}
    where interval = '1hour'
)

select
    {{ ms_to_ts('candles.t_s * 1000') }} as funding_hour,
    cast({{ ms_to_ts('candles.t_s * 1000') }} as date) as date,
    markets.exchange,
    markets.asset,
    candles.symbol,
    candles.close / 100 as rate,
    candles._fetched_at as fetched_at
from candles
left join {{ ref('stg_coinalyze__markets') }} as markets using (symbol)
