-- One row per source, dataset and day: the latest ingest run's outcome.
select
    source,
    dataset,
    date,
    run_id,
    status,
    error,
    responses,
    started_at,
    finished_at
from {{ source('raw', 'ingest_runs') }}
qualify row_number() over (partition by source, dataset, date order by started_at desc, run_id desc) = 1
