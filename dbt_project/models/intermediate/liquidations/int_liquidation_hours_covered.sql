-- The hours of each UTC day in which a venue's liquidations were watched, per channel. A REST feed covers
-- all 24 hours of D when the latest ingest run of its dataset for D succeeded; a websocket feed covers an
-- hour when the collector closed files of it for that hour and no gap of the venue's stream overlaps it.
{% set rest_feeds = liquidation_feeds('rest') %}
{% set ws_feeds = liquidation_feeds('websocket') %}
with rest_days as (
    select source as exchange, date
    from {{ ref('stg_ingest__runs') }}
    where status = 'ok'
        and ({% for f in rest_feeds %}(source = '{{ f.exchange }}' and dataset = '{{ f.dataset }}'){% if not loop.last %} or {% endif %}{% endfor %})
),

rest_hours as (
    select exchange, date, h.hour, 'rest' as channel
    from rest_days
    cross join range(24) as h(hour)
)
{% if ws_feeds %},

ws_hours as (
    select distinct s.source as exchange, cast(s.date as date) as date, cast(s.hour as bigint) as hour,
           'websocket' as channel
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
{% endif %}

select exchange, date, cast(hour as bigint) as hour, channel from rest_hours
{% if ws_feeds %}
union all
select exchange, date, hour, channel from ws_hours
{% endif %}
