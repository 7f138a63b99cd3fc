-- Every headline figure with its provenance and a verification status (rules: config/tolerances.yml).
-- A figure's independent sources are the warehouse's own value and each reference that reported a
-- comparable one; a reference's deviation is |reference - warehouse| / max(|warehouse|, floor), both over
-- the venues the reference covers. Status, the first that holds: unverified (no value, venues missing,
-- an input stale or failing a check), disputed (a reference beyond tolerance), single_source (nothing to
-- compare with), verified.
-- depends_on: {{ ref('stg_ingest__runs') }}
{% set families = ['liquidations', 'open_interest', 'funding', 'options', 'holdings'] %}
{% set run_date = var('run_date', none) %}
with built as (
    -- by name: a family that judges its own sources (holdings) adds own_status, own_reason, own_independent
    {% for family in families %}
    select * from {{ ref('figures_' ~ family) }}
    {% if not loop.last %}union all by name{% endif %}
    {% endfor %}
),

{% if run_date %}
-- A figure the run date should have but no mart row produced (its sources are disabled, or gave nothing)
-- is listed anyway, valueless and so 'unverified', with the reason: a missing figure never just vanishes.
-- A source the pipeline did not ingest for D (no run manifest) is one the sources file does not enable.
ran as (
    select distinct source from {{ ref('stg_ingest__runs') }} where date = cast('{{ run_date }}' as date)
),

wanted as (
    select r.figure, r.family,
           {%- set providers = onchain_providers().keys() | list %}
           case when r.family = 'holdings' then '{{ providers | join(",") }}' else r.expected end as feeders,
           a.asset
    from {{ ref('figure_rules') }} as r
    cross join (values ('BTC'), ('ETH'), ('ALL')) as a(asset)
    -- options are per asset only; entity balances have no figure to stand in for but one for the family
    where (r.family = 'options' and a.asset <> 'ALL') or (r.family = 'holdings' and a.asset = 'ALL')
       or r.family not in ('options', 'holdings')
),

absent_figures as (
    select
        cast('{{ run_date }}' as date) as date, w.figure, w.asset, cast(null as varchar) as entity,
        'warehouse' as source, cast(null as double) as value, cast(null as double) as comparator,
        cast(null as varchar) as contributors,
        case when w.family <> 'holdings' then 0 end as reporting,
        case when w.family <> 'holdings' then len(string_split(nullif(w.feeders, ''), ',')) end as expected_count,
        case when w.family <> 'holdings' then replace(w.feeders, ',', ', ') end as missing,
        case when f.fed = 0
             then 'no enabled source for ' || replace(w.family, '_', ' ') || ': none of '
                  || replace(w.feeders, ',', ', ') || ' was ingested for {{ run_date }}'
             else 'no value: ' || f.fed_by || ' ran for {{ run_date }} but gave no ' || replace(w.family, '_', ' ')
                  || ' figure' end as note
    from wanted as w
    cross join lateral (
        select count(*) as fed, string_agg(source, ', ' order by source) as fed_by
        from ran where list_contains(string_split(w.feeders, ','), ran.source)
    ) as f
    where not exists (
        select 1 from built as b
        where b.date = cast('{{ run_date }}' as date) and b.figure = w.figure and b.source = 'warehouse'
          and (w.family = 'holdings' or b.asset = w.asset)
    )
),
{% endif %}

unioned as (
    select * from built
    {% if run_date %}union all by name
    select * from absent_figures{% endif %}
),

candidates as (
    select *, coalesce(entity, '') as entity_key from unioned
),

rules as (
    select * from {{ ref('figure_rules') }}
),

checks as (
    select * from {{ ref('figure_inputs_checked') }}
),

own as (
    select c.*, r.family, r.label, r.unit, r.tolerance, r.floor, r."references"
    from candidates as c
    join rules as r using (figure)
    where c.source = 'warehouse'
),

compared as (
    select
        c.date, c.figure, c.asset, c.entity_key, c.source, c.note,
        case when c.value is not null and c.comparator is not null
             then {{ relative_deviation('c.value', 'c.comparator', 'r.floor') }} end as deviation,
        r.tolerance
    from candidates as c
    join rules as r using (figure)
    where c.source <> 'warehouse'
),

by_figure as (
    select
        date, figure, asset, entity_key,
        max(deviation) as max_deviation,
        count(deviation) as compared,
        string_agg(source, ',' order by source) filter (where deviation is not null) as compared_sources,
        string_agg(source || ' differs by ' || printf('%.2f%%', deviation * 100)
                   || ' (tolerance ' || printf('%.2f%%', tolerance * 100) || ')', '; ' order by source)
            filter (where deviation > tolerance) as disputes,
        string_agg(note, '; ' order by source) filter (where note is not null) as notes
    from compared
    group by date, figure, asset, entity_key
),

-- references the rules expect that reported nothing comparable
absent as (
    select o.date, o.figure, o.asset, o.entity_key,
           string_agg(x.ref, ', ' order by x.ref) as sources
    from own as o
    cross join unnest(string_split(nullif(o."references", ''), ',')) as x(ref)
    left join compared as c
        on c.date = o.date and c.figure = o.figure and c.asset = o.asset and c.entity_key = o.entity_key
        and c.source = x.ref and c.deviation is not null
    where c.source is null
    group by all
),

judged as (
    select
        o.*,
        b.max_deviation,
        coalesce(b.compared, 0) as compared,
        b.compared_sources,
        b.disputes,
        b.notes,
        a.sources as absent_references,
        k.issues,
        case
            when o.value is null then 'unverified'
            when o.reporting < o.expected_count then 'unverified'
            when k.issues is not null then 'unverified'
            when o.own_status is not null then o.own_status
            when b.disputes is not null then 'disputed'
            when coalesce(b.compared, 0) = 0 then 'single_source'
            -- a figure resting on a sampled feed is a floor: a reference's agreement cannot make it
            -- verified (the references read the same sampled feeds; docs/verification.md, "Sampled feeds")
            when o.sampled_note is not null then 'single_source'
            else 'verified'
        end as verification_status
    from own as o
    left join by_figure as b using (date, figure, asset, entity_key)
    left join absent as a using (date, figure, asset, entity_key)
    left join checks as k on k.date = o.date and k.family = o.family
)

select
    date,
    figure,
    asset,
    entity,
    label,
    {{ round_significant('value') }} as value,  -- summation-order noise out (macros/numbers.sql)
    unit,
    cast(coalesce(len(string_split(nullif(contributors, ''), ',')), 0) as integer) as source_count,
    coalesce(contributors, '') as sources,
    round(reporting / nullif(expected_count, 0), 6) as coverage,
    reporting || '/' || expected_count as coverage_text,
    round(max_deviation, 8) as max_deviation,
    tolerance,
    -- a reference that agrees with a sampled count read the same sampled feed: not independent of it
    cast(coalesce(own_independent, case when sampled_note is not null and disputes is null then 1 else 1 + compared end)
         as integer) as independent_sources,
    coalesce(compared_sources, '') as compared_with,
    verification_status,
    concat_ws('; ',
        case when value is null then coalesce(note, 'no value') end,
        case when reporting < expected_count
             then 'coverage ' || reporting || '/' || expected_count || ', missing: ' || missing end,
        issues,
        own_reason,
        disputes,
        case when verification_status = 'verified'
             then 'agrees with ' || replace(compared_sources, ',', ', ') || ' within '
                  || printf('%.2f%%', tolerance * 100) end,
        sampled_note,
        case when sampled_note is not null and disputes is null and compared > 0
             then 'agrees with ' || replace(compared_sources, ',', ', ') || ' within '
                  || printf('%.2f%%', tolerance * 100)
                  || ', which cannot make a sampled count verified: the references read the same sampled feeds' end,
        case when absent_references is not null then 'no comparable figure from ' || absent_references end,
        case when verification_status = 'single_source' and "references" = '' and own_status is null
             then 'no independent source covers this figure: the warehouse''s value is the only one' end,
        notes
    ) as reason
from judged
