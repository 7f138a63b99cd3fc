-- Funding per UTC day and asset across venues. Every venue's rate is first on one basis (funding_daily's
-- annualized_rate); the weighted figure weights each venue by its perpetual open interest in USD at the
-- day's close (open_interest_daily), over the venues that have both.
with joined as (
    select f.date, f.asset, f.exchange, f.annualized_rate, o.oi_usd, f.exchanges_expected, f.is_complete_day
    from {{ ref('funding_daily') }} f
    left join {{ ref('open_interest_daily') }} o using (date, asset, exchange)
    where f.annualized_rate is not null
)
select
    date,
    asset,
    round(sum(annualized_rate * oi_usd) filter (where oi_usd > 0)
          / nullif(sum(oi_usd) filter (where oi_usd > 0), 0), 12) as oi_weighted_annualized_rate,
    round(avg(annualized_rate), 12) as simple_avg_annualized_rate,
    min(annualized_rate) as min_annualized_rate,
    max(annualized_rate) as max_annualized_rate,
    count(*) as exchanges_reporting,
    count(*) filter (where oi_usd > 0) as exchanges_weighted,
    round(sum(oi_usd) filter (where oi_usd > 0), 2) as oi_usd_weighted,
    string_agg(exchange, ',' order by exchange) as sources,
    -- the venues D's ingest ran funding for (funding_daily); a day no run covered expects none and is not complete
    max(exchanges_expected) as exchanges_expected,
    bool_and(is_complete_day) as is_complete_day
from joined
group by date, asset
