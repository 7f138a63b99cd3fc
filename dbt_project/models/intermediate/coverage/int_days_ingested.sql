-- The days the pipeline ran for, per family of marts: which sources D's ingest ran (any outcome, from the run
-- manifests) with a dataset that feeds the family. A mart row for a day not listed here was reached by some
-- history page of a later run (OKX's funding history reaching back before the first run): it is kept, and
-- flagged (`is_complete_day` false), never passed off as a day.
with runs as (
    select source, dataset, date, status from {{ ref('stg_ingest__runs') }}
),

families as (
    select
        date, source, status,
        case
            when dataset = 'funding_rates' then 'funding'
            when dataset like 'option\_%' escape '\' then 'options'
            when dataset in ('liquidations', 'liquidations_ws', 'future_trades') then 'liquidations'
            when source in ({{ "'" ~ (onchain_providers().keys() | list | join("', '")) ~ "'" }}) then 'holdings'
        end as family
    from runs
    union all
    -- open interest and prices come from several datasets per venue (tickers serve both)
    select date, source, status, 'open_interest' from runs
    where dataset in ('open_interest', 'open_interest_hist', 'tickers', 'instrument_snapshots', 'asset_contexts')
    union all
    select date, source, status, 'prices' from runs
    where dataset in ('mark_price_klines', 'index_price_klines', 'tickers')
)

select
    date,
    family,
    count(distinct source) as sources_ran,
    count(distinct source) filter (where status = 'ok') as sources_ok,
    string_agg(distinct source, ',' order by source) as sources
from families
where family is not null
group by date, family
