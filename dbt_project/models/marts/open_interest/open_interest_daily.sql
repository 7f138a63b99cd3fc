-- Perpetual open interest per UTC day (at its close), asset and venue: one side, in coins and in USD at
-- the day's close price (int_prices_daily), with the change against the venue's previous day.
with venue_day as (
    select
        date,
        asset,
        exchange,
        sum(oi_base) as oi_base,
        max(observed_at) as observed_at,
        bool_or(is_stale) as is_stale,
        any_value(method) as method,
        string_agg(symbol, ',' order by symbol) as instruments
    from {{ ref('int_open_interest_sampled') }}
    where contract_type = 'perpetual'
    group by date, asset, exchange
),
valued as (
    select
        v.*,
        p.price_usd,
        p.price_basis || ' median of ' || p.sources as price_source,
        v.oi_base * p.price_usd as oi_usd
    from venue_day v
    left join {{ ref('int_prices_daily') }} p using (date, asset)
)
select
    d.date,
    d.asset,
    d.exchange,
    round(d.oi_base, 8) as oi_base,
    round(d.oi_usd, 2) as oi_usd,
    round(d.oi_usd - prev.oi_usd, 2) as oi_usd_change_24h,
    round(d.oi_usd / nullif(prev.oi_usd, 0) - 1, 10) as oi_change_24h_pct,
    round(d.oi_base / nullif(prev.oi_base, 0) - 1, 10) as oi_base_change_24h_pct,
    d.price_usd,
    d.observed_at,
    d.is_stale,
    d.method,
    d.instruments,
    d.price_source
from valued d
left join valued prev
    on prev.asset = d.asset and prev.exchange = d.exchange and prev.date = d.date - 1
