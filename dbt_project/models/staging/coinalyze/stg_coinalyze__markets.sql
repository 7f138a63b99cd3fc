-- Which venue contract each Coinalyze market stands for: the latest listing of every market, its exchange
-- named through /exchanges (the name lower-cased is the venue key: binance, okx, bitmex, ...).
with markets as (
    select * from {{ source_or_empty('raw_aggregators', 'coinalyze__future_markets', {
        'symbol': 'varchar', 'exchange': 'varchar', 'symbol_on_exchange': 'varchar', 'base_asset': 'varchar',
        'is_perpetual': 'boolean', 'margined': 'varchar', 'observed_date': 'date'}) }}
),

exchanges as (
    select * from {{ source_or_empty('raw_aggregators', 'coinalyze__exchanges', {
        'code': 'varchar', 'name': 'varchar', 'observed_date': 'date'}) }}
),

latest_markets as (
    select * from markets
    qualify row_number() over (partition by symbol order by observed_date desc) = 1
),

latest_exchanges as (
    select * from exchanges
    qualify row_number() over (partition by code order by observed_date desc) = 1
)

select
    m.symbol,
    lower(e.name) as exchange,
    upper(m.base_asset) as asset,
    m.symbol_on_exchange,
    m.is_perpetual,
    m.margined,
    m.observed_date
from latest_markets as m
left join latest_exchanges as e on e.code = m.exchange
