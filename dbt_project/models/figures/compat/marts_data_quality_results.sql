-- marts.data_quality_results, the name the checks' results have been read under: they now live in schema
-- audit (written by the pipeline) and figures.check_results (with dbt's mart tests); this view keeps the
-- old name working.
{{ config(schema='marts', alias='data_quality_results', materialized='view', contract={'enforced': false}) }}
select * from {{ ref('check_results') }}
