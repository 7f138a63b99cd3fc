-- Binance option open interest of D's run in contracts of `unit` coins, with strike, side and expiry
-- from the option symbols listed that day.
with oi as (
    select * from {{ raw_or_empty('raw_markets', 'binance__option_open_interest') }}
),
symbols as (
    select * from {{ raw_or_empty('raw_markets', 'binance__option_symbols') }}
)
select
    'binance' as exchange,
    oi.observed_date as snapshot_date,
    oi.symbol as instrument,
    coalesce(regexp_replace(s.underlying, 'USDT$', ''), split_part(oi.symbol, '-', 1)) as asset,
    {{ ms_to_ts('s.expiry_ms') }} as expiry,
    s.strike_price as strike,
    case s.side when 'CALL' then 'call' when 'PUT' then 'put' end as option_type,
    oi.sum_open_interest as open_interest_contracts,
    s.unit as coins_per_contract,
    oi.sum_open_interest * s.unit as open_interest_coins,
    {{ ms_to_ts('oi.timestamp_ms') }} as observed_at
from oi
left join symbols s on s.symbol = oi.symbol and s.observed_date = oi.observed_date
