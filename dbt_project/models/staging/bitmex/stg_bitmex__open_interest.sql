-- BitMEX keeps no history: the instrument read by D's run is D's snapshot, in contracts.
--   inverse (XBTUSD): a contract is |multiplier| satoshi / price, i.e. 1 USD: coins = contracts / mark;
--   quanto (ETHUSD): a contract is |multiplier| satoshi per USD of the coin's price, so in coins it is
--     |multiplier| × 1e-8 × the bitcoin price (the XBTUSD index of the same snapshot);
--   linear: underlyingToPositionMultiplier contracts make one coin.
with snap as (
    select * from {{ raw_or_empty('raw_markets', 'bitmex__instrument_snapshots') }}
),
xbt as (
    select observed_date, indicative_settle_price as btc_index from snap where symbol = 'XBTUSD'
),
sized as (
    select
        snap.*,
        case
            when snap.is_inverse then abs(snap.multiplier) * 1e-8 / nullif(snap.mark_price, 0)
            when snap.is_quanto then abs(snap.multiplier) * 1e-8 * xbt.btc_index
            when snap.underlying_to_position_multiplier > 0 then 1.0 / snap.underlying_to_position_multiplier
        end as base_per_native
    from snap
    left join xbt using (observed_date)
)
select
    'bitmex' as exchange,
    symbol,
    {{ asset_from_symbol('symbol') }} as asset,
    case when typ = 'FFCCSX' then 'dated_future' else 'perpetual' end as contract_type,
    'snapshot' as method,
    "timestamp" as observed_at,
    observed_date as as_of_date,
    open_interest as oi_native,
    'contract' as native_unit,
    base_per_native,
    open_interest * base_per_native as oi_base
from sized
