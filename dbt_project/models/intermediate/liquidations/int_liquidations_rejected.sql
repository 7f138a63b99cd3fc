-- Liquidation rows of tracked assets that cannot be counted, with the reason: the modelling layer's
-- quarantine (the loader's own is raw.quarantine). Instruments of other assets are out of scope, not bad.
with checked as (
    select
        *,
        concat_ws('; ',
            case when liquidation_id is null then 'no id' end,
            case when side is null or side not in ('long', 'short') then 'side not recognised' end,
            case when not coalesce(price > 0, false) then 'price missing or not positive' end,
            case when not coalesce(quantity > 0, false) then 'quantity missing or not positive (contract size unknown?)' end,
            case when not coalesce(notional_usd > 0, false) then 'notional missing or not positive' end,
            case when liquidated_at is null then 'no time' end
        ) as reason
    from {{ ref('int_liquidations_unioned') }}
    where asset is not null
)

select exchange, symbol, asset, liquidation_id, side, price, quantity, notional_usd, liquidated_at, channel, reason
from checked
where reason <> ''
