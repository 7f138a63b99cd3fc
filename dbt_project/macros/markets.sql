{#
  Open interest, prices and option chains: the rules the staging and mart models share.
#}

{# The day whose close (D+1 00:00 UTC) an observation of a state describes: D+1 00:00 itself belongs to D. #}
{% macro close_date(ts) -%}
    cast({{ ts }} - interval 1 millisecond as date)
{%- endmacro %}


{# The close of a day: D+1 00:00 UTC as a naive UTC timestamp. #}
{% macro close_of(date_col) -%}
    cast({{ date_col }} + interval 1 day as timestamp)
{%- endmacro %}


{# One of the tracked assets for an exact coin name (BTC, ETH); anything else is null. #}
{% macro tracked_asset(col) -%}
    case when upper({{ col }}) in ('BTC', 'ETH') then upper({{ col }}) end
{%- endmacro %}


{#
  Per group of `keys` over an option chain (columns strike, option_type 'call'/'put', open_interest_coins):
  call and put open interest, their ratio, the listed strikes, and the max pain strike: the listed strike K
  at which holders would be paid least if the expiry settled there,
      payout(K) = sum over calls of oi × max(0, K − strike) + sum over puts of oi × max(0, strike − K),
  ties going to the lowest strike. Every listed strike is a candidate, with or without open interest.
#}
{% macro option_chain_summary(chain, keys) %}
    {%- set k = keys | join(', ') -%}
    with chain as (
        select {{ k }}, strike,
               -- exact sums (macros/numbers.sql): max pain must not move with the order rows arrive in
               {{ exact_sum("case when option_type = 'call' then open_interest_coins else 0 end", 10) }} as call_oi,
               {{ exact_sum("case when option_type = 'put' then open_interest_coins else 0 end", 10) }} as put_oi
        from {{ chain }}
        group by {{ k }}, strike
    ),
    payouts as (
        select {% for c in keys %}settle.{{ c }}, {% endfor %}settle.strike as settle_strike,
               {{ exact_sum("held.call_oi * greatest(settle.strike - held.strike, 0)
                   + held.put_oi * greatest(held.strike - settle.strike, 0)", 10) }} as payout
        from chain as settle
        join chain as held on {% for c in keys %}held.{{ c }} = settle.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
        group by {% for c in keys %}settle.{{ c }}, {% endfor %}settle.strike
    ),
    max_pain as (
        select {{ k }}, settle_strike as max_pain_strike, payout as max_pain_payout_usd
        from payouts
        qualify row_number() over (partition by {{ k }} order by payout, settle_strike) = 1
    ),
    totals as (
        select {{ k }}, {{ exact_sum('call_oi', 10) }} as call_oi, {{ exact_sum('put_oi', 10) }} as put_oi,
               count(*) as strikes
        from chain
        group by {{ k }}
    )
    select totals.*, max_pain.max_pain_strike, max_pain.max_pain_payout_usd
    from totals
    join max_pain using ({{ k }})
{% endmacro %}
