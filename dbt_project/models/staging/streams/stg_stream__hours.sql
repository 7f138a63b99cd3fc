-- The collector's hourly files per source, stream dataset and UTC hour, as the daily load counted them.
-- files = 0 means no connection was listening that hour (a quiet but watched hour still has an empty file).
select
    source,
    dataset,
    date,
    cast(hour as bigint) as hour,
    cast(date as timestamp) + to_hours(cast(hour as bigint)) as hour_start,
    files,
    messages,
    open_files,
    files > 0 as is_present
from {{ source('raw_streams', 'stream_hours') }}
