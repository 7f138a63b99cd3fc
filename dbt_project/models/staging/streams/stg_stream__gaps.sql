-- Periods a venue's stream was not listening (disconnects, failed reconnects, collector restarts), UTC.
-- A gap reloaded on a later day is the same gap: one row per source and start.
select
    source,
    cast(started_at as timestamp) as started_at,
    cast(ended_at as timestamp) as ended_at,
    date_diff('millisecond', started_at, ended_at) / 1000.0 as duration_seconds,
    reason,
    run_id
from {{ source('raw_streams', 'stream_gaps') }}
qualify row_number() over (partition by source, started_at order by ended_at desc, _date desc) = 1
