-- CoinGlass's open-interest-weighted funding per coin and candle: percent per 8 hours, here as a fraction on
-- an 8-hour basis (0.0001 = 0.01 % per 8 h). The candle is the configured funding_interval, 1h where the plan
-- serves it, 4h on the Hobbyist plan (ingest/venues/coinglass.py); a day answered in two intervals (a plan
-- changed) keeps its finer candles, so no hour counts twice. candle_hours says how many hours a row stands for.
with candles as (
    select
        *,
        case interval when '1h' then 1 when '2h' then 2 when '4h' then 4 when '6h' then 6 when '8h' then 8
                      when '12h' then 12 end as candle_hours
    from {{ source_or_empty('raw_aggregators', 'coinglass__funding_oi_weighted', {
        'symbol': 'varchar', 'interval': 'varchar', 'time_ms': 'bigint', 'close': 'double',
        '_fetched_at': 'timestamptz'}) }}
    where interval in ('1h', '2h', '4h', '6h', '8h', '12h')
),

ranked as (
    select
        *,
        min(candle_hours) over (partition by upper(symbol), cast({{ ms_to_ts('time_ms') }} as date)) as finest_hours
    from candles
)

select
    {{ ms_to_ts('time_ms') }} as funding_hour,
    cast({{ ms_to_ts('time_ms') }} as date) as date,
    upper(symbol) as asset,
    close / 100 as rate_8h,
    candle_hours,
    _fetched_at as fetched_at
from ranked
where candle_hours = finest_hours
