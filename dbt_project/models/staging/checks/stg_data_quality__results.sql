-- What the GX runner found per run date: one row per expectation (expectations/runner.py writes them).
select
    run_date,
    suite,
    expectation,
    "table" as table_name,
    status,
    observed_value,
    severity,
    checked_at
from {{ source_or_empty('data_quality', 'data_quality_results', {
    'run_date': 'date', 'suite': 'varchar', 'expectation': 'varchar', '"table"': 'varchar', 'status': 'varchar',
    'observed_value': 'varchar', 'severity': 'varchar', 'checked_at': 'timestamptz'}) }}
