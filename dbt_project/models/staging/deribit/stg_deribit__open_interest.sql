-- Deribit keeps no history: the ticker read by D's run is D's snapshot. Inverse contracts report open
-- interest in USD, turned into coins at the venue's own mark price of that moment; linear (USDC) ones
-- report coins.
select
    'deribit' as exchange,
    instrument_name as symbol,
    {{ asset_from_symbol('instrument_name') }} as asset,
    case when instrument_name like '%PERPETUAL' then 'perpetual' else 'dated_future' end as contract_type,
    'snapshot' as method,
    {{ ms_to_ts('timestamp_ms') }} as observed_at,
    observed_date as as_of_date,
    open_interest as oi_native,
    case when instrument_name like '%USDC%' then 'coin' else 'usd' end as native_unit,
    case when instrument_name like '%USDC%' then 1.0 else 1.0 / nullif(mark_price, 0) end as base_per_native,
    open_interest * (case when instrument_name like '%USDC%' then 1.0 else 1.0 / nullif(mark_price, 0) end) as oi_base
from {{ raw_or_empty('raw_markets', 'deribit__tickers') }}
