-- Bybit option tickers of D's run: openInterest in coins, one side: an option contract outstanding is
-- counted once (holder and writer are one contract), as on Deribit and OKX. Bybit's tickers page
-- (https://bybit-exchange.github.io/docs/v5/market/tickers, "openInterest: Open interest size") does not
-- say it, unlike the linear openInterest that stg_bybit__open_interest halves: not verified at the venue. The symbol (BTC-27NOV26-90000-C) gives
-- strike and type; the delivery time comes from the instruments listed that day.
with oi as (
    select * from {{ raw_or_empty('raw_markets', 'bybit__option_tickers') }}
),
instruments as (
    select * from {{ raw_or_empty('raw_markets', 'bybit__option_instruments') }}
)
select
    'bybit' as exchange,
    oi.observed_date as snapshot_date,
    oi.symbol as instrument,
    coalesce(i.base_coin, split_part(oi.symbol, '-', 1)) as asset,
    {{ ms_to_ts('i.delivery_ms') }} as expiry,
    try_cast(split_part(oi.symbol, '-', 3) as double) as strike,
    case coalesce(i.options_type, split_part(oi.symbol, '-', 4))
        when 'Call' then 'call' when 'C' then 'call' when 'Put' then 'put' when 'P' then 'put' end as option_type,
    oi.open_interest as open_interest_contracts,
    1.0 as coins_per_contract,
    oi.open_interest as open_interest_coins,
    {{ ms_to_ts('oi.observed_ms') }} as observed_at
from oi
left join instruments i on i.symbol = oi.symbol and i.observed_date = oi.observed_date
