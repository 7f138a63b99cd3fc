{#
  Venue contract arithmetic the websocket liquidation views share with nothing else yet.
  BitMEX quantos pay a fixed 100 satoshi (1e-6 XBT) per USD of the quoted price per contract
  (ETHUSD, per the venue's contract guide and the `multiplier` of /api/v1/instrument).
#}
{% macro bitmex_quanto_xbt_per_usd() -%} 0.000001 {%- endmacro %}


{#
  OKX liquidation orders of one channel in the staging contract. The order side gives the liquidated
  position (sell = long); `sz` counts contracts of ct_val ct_val_ccy (a coin for linear contracts, USD
  for inverse ones; USDT taken at par) from the instruments the REST ingest lists (latest listing per
  instrument, else its family's). Same arithmetic and id hash as stg_okx__liquidations, so one order
  is one id on both channels.
#}
{% macro okx_liquidation_rows(orders_relation, channel) %}
with orders as (
    select * from {{ orders_relation }}
),

listed as (
    select inst_id, inst_type, coalesce(nullif(inst_family, ''), uly) as inst_family, ct_val,
           upper(ct_val_ccy) as ct_val_ccy, observed_date
    from {{ raw_or_empty('raw_liquidations', 'okx__instruments') }}
    where ct_val > 0
),

by_instrument as (
    select inst_id, arg_max(ct_val, observed_date) as ct_val, arg_max(ct_val_ccy, observed_date) as ct_val_ccy
    from listed group by inst_id
),

by_family as (
    select inst_type, inst_family, arg_max(ct_val, observed_date) as ct_val,
           arg_max(ct_val_ccy, observed_date) as ct_val_ccy
    from listed group by inst_type, inst_family
),

sized as (
    select
        orders.*,
        {{ asset_from_symbol('orders.inst_id') }} as asset,
        coalesce(i.ct_val, f.ct_val) as ct_val,
        coalesce(i.ct_val_ccy, f.ct_val_ccy) as ct_val_ccy
    from orders
    left join by_instrument as i on i.inst_id = orders.inst_id
    left join by_family as f
        on f.inst_type = orders.inst_type
        and f.inst_family = coalesce(nullif(orders.inst_family, ''), orders.uly)
)

select
    'okx' as exchange,
    inst_id as symbol,
    asset,
    {{ liquidation_hash('okx', ['inst_id', 'ts_ms', 'side', 'sz', 'bk_px']) }} as liquidation_id,
    case lower(side) when 'sell' then 'long' when 'buy' then 'short' end as side,
    bk_px as price,
    round(case when ct_val_ccy = 'USD' then sz * ct_val / bk_px when ct_val_ccy = asset then sz * ct_val end, 10)
        as quantity,
    round(case when ct_val_ccy = 'USD' then sz * ct_val when ct_val_ccy = asset then sz * ct_val * bk_px end, 6)
        as notional_usd,
    {{ ms_to_ts('ts_ms') }} as liquidated_at,
    cast(ts_ms as bigint) as liquidated_ms,
    '{{ channel }}' as channel
from sized
{% endmacro %}


{#
  Deribit forced trades of one channel in the staging contract: `liquidation` T = the taker was
  liquidated, M = the maker, MT = both; `direction` is the taker's side, so T + sell or M + buy liquidated
  a long. MT is two liquidations of the full amount (ids <trade_id>:long and <trade_id>:short). Inverse
  instruments trade USD amounts, linear ones (BTC_USDC-PERPETUAL) coins. Same rules as stg_deribit__liquidations.
#}
{% macro deribit_liquidation_rows(trades_relation, channel) %}
with sided as (
    select
        t.*,
        unnest(case upper(liquidation)
            when 'T' then [case lower(direction) when 'sell' then 'long' when 'buy' then 'short' end]
            when 'M' then [case lower(direction) when 'buy' then 'long' when 'sell' then 'short' end]
            when 'MT' then ['long', 'short']
            else [cast(null as varchar)]
        end) as liquidated_side
    from {{ trades_relation }} as t
    where liquidation is not null
)

select
    'deribit' as exchange,
    instrument_name as symbol,
    {{ asset_from_symbol('instrument_name') }} as asset,
    case when upper(liquidation) = 'MT' then trade_id || ':' || liquidated_side else trade_id end as liquidation_id,
    liquidated_side as side,
    price,
    round(case when contains(instrument_name, '_') then amount else amount / price end, 10) as quantity,
    round(case when contains(instrument_name, '_') then amount * price else amount end, 6) as notional_usd,
    {{ ms_to_ts('timestamp_ms') }} as liquidated_at,
    cast(timestamp_ms as bigint) as liquidated_ms,
    '{{ channel }}' as channel
from sided
{% endmacro %}
