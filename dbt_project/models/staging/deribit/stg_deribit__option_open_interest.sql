-- Deribit option book summaries of D's run joined to the instruments listed that day. Option amounts
-- are in coins (contract_size coins a contract). A summary without its instrument keeps null terms
-- (tested), so it is visible rather than dropped.
with oi as (
    select * from {{ raw_or_empty('raw_markets', 'deribit__option_book_summary') }}
),
instruments as (
    select * from {{ raw_or_empty('raw_markets', 'deribit__option_instruments') }}
)
select
    'deribit' as exchange,
    oi.observed_date as snapshot_date,
    oi.instrument_name as instrument,
    coalesce(i.base_currency, {{ asset_from_symbol('oi.instrument_name') }}) as asset,
    {{ ms_to_ts('i.expiration_ms') }} as expiry,
    i.strike,
    i.option_type,
    oi.open_interest / nullif(i.contract_size, 0) as open_interest_contracts,
    i.contract_size as coins_per_contract,
    oi.open_interest as open_interest_coins,
    {{ ms_to_ts('oi.creation_ms') }} as observed_at
from oi
left join instruments i on i.instrument_name = oi.instrument_name and i.observed_date = oi.observed_date
