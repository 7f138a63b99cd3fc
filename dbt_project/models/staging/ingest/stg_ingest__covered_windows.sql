-- Every successful ingest run of a retention-limited dataset with the part of its day it provably read:
-- [covered_from, covered_to), on the venue's clock (ingest.spec.VenueClock: the first answer bounds what
-- was already there, the last answer minus the venue's documented retention what was still there).
-- All runs, not only the latest: the hourly polls of D and D's daily run together cover the day.
select
    source,
    dataset,
    date,
    run_id,
    cast(covered_from at time zone 'UTC' as timestamp) as covered_from,
    cast(covered_to at time zone 'UTC' as timestamp) as covered_to
from {{ source('raw', 'ingest_runs') }}
where status = 'ok'
    and covered_from is not null
    and covered_to > covered_from
