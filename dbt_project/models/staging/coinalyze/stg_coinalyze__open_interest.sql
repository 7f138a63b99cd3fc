-- Coinalyze's daily open interest per market in USD: the close of D's candle is the state at D+1 00:00.
with candles as (
    select * from {{ source_or_empty('raw_aggregators', 'coinalyze__open_interest_history', {
        'symbol': 'varchar', 'interval': 'varchar', 't_s': 'bigint', 'open': 'double', 'close': 'double',
        '_fetched_at': 'timestamptz'}) }}
    where interval = 'daily'
)

select
    cast({{ ms_to_ts('candles.t_s * 1000') }} as date) as date,
    markets.exchange,
    markets.asset,
    candles.symbol,
    candles.open as open_interest_open_usd,
    candles.close as open_interest_usd,
    candles._fetched_at as fetched_at
from candles
left join {{ ref('stg_coinalyze__markets') }} as markets using (symbol)
