-- OKX history counts contracts; a USDT swap's contract is ctVal × ctMult coins (ctValCcy the coin), as
-- listed on or before the observation's day, else the earliest listing the warehouse has.
with oi as (
    select *, {{ close_date(ms_to_ts('ts_ms')) }} as as_of_date, {{ asset_from_symbol('inst_id') }} as asset
    from {{ raw_or_empty('raw_markets', 'okx__open_interest_hist') }}
),
sizes as (
    select inst_id, observed_date, ct_val * coalesce(ct_mult, 1) as coins_per_contract
    from {{ raw_or_empty('raw_markets', 'okx__swap_instruments') }}
    where ct_val_ccy = {{ asset_from_symbol('inst_id') }}
),
sized as (
    select
        oi.*,
        coalesce(
            (select s.coins_per_contract from sizes s
              where s.inst_id = oi.inst_id and s.observed_date <= oi.as_of_date
              order by s.observed_date desc limit 1),
            (select s.coins_per_contract from sizes s where s.inst_id = oi.inst_id order by s.observed_date limit 1)
        ) as coins_per_contract
    from oi
)
select
    'okx' as exchange,
    inst_id as symbol,
    asset,
    'perpetual' as contract_type,
    'history' as method,
    {{ ms_to_ts('ts_ms') }} as observed_at,
    as_of_date,
    oi_contracts as oi_native,
    'contract' as native_unit,
    coins_per_contract as base_per_native,
    oi_contracts * coins_per_contract as oi_base
from sized
