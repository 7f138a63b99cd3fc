-- Coinalyze's daily liquidation candles per market in USD; a candle starting at D 00:00 covers D.
with candles as (
    select * from {{ source_or_empty('raw_aggregators', 'coinalyze__liquidation_history', {
        'symbol': 'varchar', 'interval': 'varchar', 't_s': 'bigint', 'long_usd': 'double', 'short_usd': 'double',
        '_fetched_at': 'timestamptz'}) }}
    where interval = 'daily'
)

select
    cast({{ ms_to_ts('candles.t_s * 1000') }} as date) as date,
    markets.exchange,
    markets.asset,
    candles.symbol,
    candles.long_usd,
    candles.short_usd,
    candles.long_usd + candles.short_usd as total_usd,
    candles._fetched_at as fetched_at
from candles
left join {{ ref('stg_coinalyze__markets') }} as markets using (symbol)
