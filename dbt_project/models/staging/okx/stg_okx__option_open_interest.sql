-- OKX option open interest of D's run in contracts, sized with the instrument's ctVal × ctMult coins
-- (a BTC-USD option is 0.01 BTC, ETH-USD 0.1 ETH) as listed the same day.
with oi as (
    select * from {{ raw_or_empty('raw_markets', 'okx__option_open_interest') }}
),
instruments as (
    select * from {{ raw_or_empty('raw_markets', 'okx__option_instruments') }}
)
select
    'okx' as exchange,
    oi.observed_date as snapshot_date,
    oi.inst_id as instrument,
    coalesce(i.ct_val_ccy, {{ asset_from_symbol('oi.inst_id') }}) as asset,
    {{ ms_to_ts('i.expiry_ms') }} as expiry,
    i.strike,
    case i.opt_type when 'C' then 'call' when 'P' then 'put' end as option_type,
    oi.oi_contracts as open_interest_contracts,
    i.ct_val * i.ct_mult as coins_per_contract,
    oi.oi_contracts * i.ct_val * i.ct_mult as open_interest_coins,
    {{ ms_to_ts('oi.ts_ms') }} as observed_at
from oi
left join instruments i on i.inst_id = oi.inst_id and i.observed_date = oi.observed_date
