-- The hours of each UTC day in which a venue's liquidations were watched, per channel: an hour counts when
-- one stretch of int_liquidation_windows_covered holds all of it (a REST read of D that began at 00:30
-- leaves hour 0 out). `sampled` says the channel shows only some liquidations (macro liquidation_feeds).
select distinct
    w.exchange,
    w.date,
    cast(h.hour as bigint) as hour,
    w.channel,
    w.sampled
from {{ ref('int_liquidation_windows_covered') }} as w
cross join range(24) as h(hour)
where w.covered_from <= cast(w.date as timestamp) + to_hours(cast(h.hour as bigint))
    and w.covered_to >= cast(w.date as timestamp) + to_hours(cast(h.hour as bigint) + 1)
