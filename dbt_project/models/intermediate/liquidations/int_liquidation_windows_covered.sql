-- The stretches of each UTC day in which a venue's liquidations were provably watched, per channel:
-- [covered_from, covered_to), overlapping windows merged.
--   REST: every successful run of the liquidation dataset records the part of D its pages provably held,
--         judged on the venue's clock against the venue's documented retention (stg_ingest__covered_windows);
--         the hourly polls during D and D's daily run at D+1 00:30 add up. A run that read D too late (OKX
--         keeps one day) covers only what was still there, so the day shows as partial, never as quiet.
--   websocket: an hour whose collector files were closed and that no gap of the venue's stream overlaps.
-- `sampled`: the feed shows only some liquidations by the venue's documentation (macro liquidation_feeds).
{% set rest_feeds = liquidation_feeds('rest') %}
{% set ws_feeds = liquidation_feeds('websocket') %}
with rest_windows as (
    select
        source as exchange,
        cast(date as date) as date,
        'rest' as channel,
        case {% for f in rest_feeds %}when source = '{{ f.exchange }}' then {{ 'true' if f.sampled else 'false' }} {% endfor %}end as sampled,
        covered_from,
        covered_to
    from {{ ref('stg_ingest__covered_windows') }}
    where {% for f in rest_feeds %}(source = '{{ f.exchange }}' and dataset = '{{ f.dataset }}'){% if not loop.last %} or {% endif %}{% endfor %}
)
{% if ws_feeds %},

ws_windows as (
    select distinct
        s.source as exchange,
        cast(s.date as date) as date,
        'websocket' as channel,
        case {% for f in ws_feeds %}when s.source = '{{ f.exchange }}' then {{ 'true' if f.sampled else 'false' }} {% endfor %}end as sampled,
        cast(s.date as timestamp) + to_hours(cast(s.hour as bigint)) as covered_from,
        cast(s.date as timestamp) + to_hours(cast(s.hour as bigint) + 1) as covered_to
    from {{ ref('stg_stream__hours') }} as s
    where s.files > 0
        and ({% for f in ws_feeds %}(s.source = '{{ f.exchange }}' and s.dataset = '{{ f.dataset }}'){% if not loop.last %} or {% endif %}{% endfor %})
        and not exists (
            select 1 from {{ ref('stg_stream__gaps') }} as g
            where g.source = s.source
                and g.started_at < cast(s.date as timestamp) + to_hours(cast(s.hour as bigint) + 1)
                and coalesce(g.ended_at, timestamp 'infinity') > cast(s.date as timestamp) + to_hours(cast(s.hour as bigint))
        )
)
{% endif %},

windows as (
    select exchange, date, channel, sampled, covered_from, covered_to from rest_windows
    {% if ws_feeds %}
    union all
    select exchange, date, channel, sampled, covered_from, covered_to from ws_windows
    {% endif %}
),

-- gaps and islands: a window starts a new stretch when it begins after everything before it has ended
reach as (
    select
        *,
        max(covered_to) over (partition by exchange, date, channel order by covered_from, covered_to
                              rows between unbounded preceding and 1 preceding) as reached
    from windows
),

islands as (
    select
        *,
        sum(case when reached is null or covered_from > reached then 1 else 0 end)
            over (partition by exchange, date, channel order by covered_from, covered_to rows unbounded preceding) as stretch
    from reach
)

select
    exchange,
    date,
    channel,
    bool_or(sampled) as sampled,
    min(covered_from) as covered_from,
    max(covered_to) as covered_to
from islands
group by exchange, date, channel, stretch
