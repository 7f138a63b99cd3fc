-- Per day and address, what the providers asked said together. Agreement: the highest and lowest answers
-- differ by at most `onchain_balance_tolerance` of the larger, plus one base unit (1e-8) so that dust and
-- zero balances compare. Status: missing (nobody answered), single_source (one answered), disputed (two
-- or more disagree), verified (two or more agree).
with balances as (
    select * from {{ ref('int_address_balances_daily') }}
),

summary as (
    select
        date, chain, asset, address,
        count(*) as providers_asked,
        count(*) filter (where has_data) as providers_answered,
        round(avg(balance), 8) as balance,
        min(balance) as balance_low,
        max(balance) as balance_high,
        string_agg(provider, ',' order by provider) filter (where has_data) as sources,
        string_agg(provider || ': ' || missing_reason, '; ' order by provider) filter (where not has_data) as missing
    from balances
    group by all
)

select
    *,
    case when providers_answered >= 2 then
        balance_high - balance_low
            <= {{ var('onchain_balance_tolerance') }} * greatest(abs(balance_high), abs(balance_low)) + 1e-8
    end as providers_agree,
    case
        when providers_answered = 0 then 'missing'
        when providers_answered = 1 then 'single_source'
        when balance_high - balance_low
            > {{ var('onchain_balance_tolerance') }} * greatest(abs(balance_high), abs(balance_low)) + 1e-8
            then 'disputed'
        else 'verified'
    end as address_status
from summary
