-- marts.headline_figures, the name BI and readers of the snapshot have used: the published figures now
-- live in the figures layer (figures.headline_figures); this view keeps the old name working.
{{ config(schema='marts', alias='headline_figures', materialized='view', contract={'enforced': false}) }}
select * from {{ ref('headline_figures') }}
