"""`make demo`'s warehouse keeps the loader's promises: every landed response accounted for, no duplicate
keys, no half-written file, and every quarantined record with its reason (tests/faults proves the same
under injected faults; this is the clean 38-day run)."""
from __future__ import annotations

import pytest

from ingest.landing import dataset_dir

pytestmark = pytest.mark.slow


def test_no_duplicate_keys_in_any_raw_table(demo_db):
    tables = [t for (t,) in demo_db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' AND table_name LIKE '%\\_\\_%' "
        "ESCAPE '\\' AND table_type = 'BASE TABLE'").fetchall()]
    keyed = [t for t in tables if demo_db.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ? "
        "AND column_name = '_key'", [t]).fetchone()[0]]
    assert keyed, tables
    dups = {t: n for t in keyed
            if (n := demo_db.execute(f'SELECT count(*) - count(DISTINCT _key) FROM raw."{t}"').fetchone()[0])}
    assert not dups, dups


def test_every_landed_response_is_counted_by_the_load_log(demo_db, demo_dir):
    rows = demo_db.execute("SELECT source, dataset, date, files, responses, records, loaded, quarantined "
                           "FROM raw.load_log WHERE files > 0").fetchall()
    assert rows
    wrong = []
    for source, dataset, day, files, responses, records, loaded, quarantined in rows:
        d = dataset_dir(demo_dir, source, dataset, day)
        on_disk = [p for p in d.rglob("*.ndjson.gz") if not p.name.startswith(".")]
        if files != len(on_disk) or loaded + quarantined > records + responses:
            wrong.append((source, dataset, day, files, len(on_disk), records, loaded, quarantined))
    assert not wrong, wrong[:10]


def test_no_half_written_landing_file(demo_dir):
    assert not list((demo_dir / "landing").rglob(".*.tmp"))


def test_quarantine_rows_say_why_and_match_the_load_log(demo_db):
    assert demo_db.execute("SELECT count(*) FROM raw.quarantine WHERE coalesce(trim(reason), '') = ''").fetchone() == (0,)
    mismatched = demo_db.execute("""
        SELECT l.source, l.dataset, l.date, l.quarantined, count(q.reason) AS rows
        FROM raw.load_log l
        LEFT JOIN raw.quarantine q ON q.source = l.source AND q.dataset = l.dataset AND q.date = l.date
        GROUP BY ALL HAVING count(q.reason) <> l.quarantined""").fetchall()
    assert not mismatched, mismatched[:10]
