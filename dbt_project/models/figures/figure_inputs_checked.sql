-- What went wrong that day with the tables a figure family is built on: failed (or unevaluable) checks
-- of that run date (GX on raw, dbt's tests on the marts: figures.check_results), and sources `dbt source freshness` found stale. A table that never held a row
-- is not stale (a channel not in use; the figures' coverage says whether data is missing). Tables of the
-- family's references are left out: a reference that is late or wrong shows up in the comparison itself.
with rules as (
    select distinct family, inputs, "references" from {{ ref('figure_rules') }}
),

patterns as (
    select family, trim(unnest(string_split(inputs, ','))) as pattern from rules where inputs <> ''
),

is_reference as (
    select family, 'raw.' || trim(unnest(string_split("references", ','))) || '\_\_%' as pattern from rules
    where "references" <> ''
),

failed as (
    select distinct
        r.run_date as date,
        p.family,
        r."table" || ' ' || coalesce(nullif(split_part(r.expectation, ':', 2), ''), r.expectation)
            || ' (' || r.severity || case when r.status = 'error' then ', could not run' else '' end || ')' as issue
    from {{ ref('check_results') }} as r
    join patterns as p on r."table" like p.pattern
    where r.status in ('failed', 'error')
        and not exists (select 1 from is_reference as x where x.family = p.family and r."table" like x.pattern escape '\')
),

stale as (
    select distinct
        f.run_date as date,
        p.family,
        f.relation || ' (' || round(f.age_hours, 1) || ' h old)' as issue
    from {{ ref('source_freshness_checks') }} as f
    join patterns as p on f.relation like p.pattern
    where f.status in ('warn', 'error')
        and f.max_loaded_at >= timestamptz '2000-01-01 00:00:00+00'
        and not exists (select 1 from is_reference as x where x.family = p.family and f.relation like x.pattern escape '\')
)

select
    coalesce(f.date, s.date) as date,
    coalesce(f.family, s.family) as family,
    coalesce(f.n, 0) as failed_checks,
    coalesce(s.n, 0) as stale_inputs,
    concat_ws('; ',
        'stale input' || case when s.n > 1 then 's' else '' end || ': ' || s.issues,
        'failed check' || case when f.n > 1 then 's' else '' end || ': ' || f.issues) as issues
from (select date, family, count(*) as n, string_agg(issue, ', ' order by issue) as issues from failed group by all) as f
full join (select date, family, count(*) as n, string_agg(issue, ', ' order by issue) as issues from stale group by all) as s
    on s.date = f.date and s.family = f.family
