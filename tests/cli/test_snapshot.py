"""The published snapshot: readable while the warehouse is being written, read-only, swapped atomically.

Readers and the writer are separate processes, as a BI tool and the DAG are: DuckDB shares one
database instance per file inside a process, which would hide both the lock and the swap.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from dwh.publish import SNAPSHOT_DB, publish_snapshot
from tests.cli._helpers import funding_rows, make_warehouse

WRITER = textwrap.dedent("""
    import sys, time, duckdb
    # Holds the warehouse open for writing, like a DAG run's load/dbt steps, until told to stop.
    con = duckdb.connect(sys.argv[1])
    i = 0
    print("writing", flush=True)
    deadline = time.time() + float(sys.argv[2])
    while time.time() < deadline:
        con.execute("BEGIN")
        con.execute("INSERT INTO raw.writes SELECT range + ?, now() FROM range(200)", [i])
        con.execute("CREATE OR REPLACE TABLE marts.scratch AS SELECT count(*) AS n FROM raw.writes")
        con.execute("COMMIT")
        i += 200
    print(i, flush=True)
""")

READER = textwrap.dedent("""
    import json, sys, time, duckdb
    # A BI client: a fresh read-only connection per query, plus the Parquet copy through the link.
    snap, parquet, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    seen, errors, n = set(), [], 0
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with duckdb.connect(snap, read_only=True) as con:
                v = con.execute("SELECT version FROM marts.publish_version").fetchone()[0]
                rows = con.execute("SELECT count(*), sum(rate_8h) FROM marts.funding_daily").fetchone()
                seen.add(("db", v, rows[0], round(rows[1], 12)))
            with duckdb.connect() as mem:
                v = mem.execute(f"SELECT version FROM read_parquet('{parquet}/marts/publish_version.parquet')").fetchone()[0]
                seen.add(("parquet", v))
            n += 1
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    print(json.dumps({"reads": n, "seen": sorted(map(list, seen)), "errors": errors[:5], "n_errors": len(errors)}))
""")


def _spawn(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture()
def published(tmp_path) -> tuple[Path, Path]:
    warehouse = make_warehouse(tmp_path)
    snapshot = publish_snapshot(warehouse, tmp_path / "snapshot")
    return warehouse, snapshot


def test_snapshot_readable_while_writer_holds_the_warehouse(published):
    warehouse, snapshot = published
    writer = _spawn(WRITER, warehouse, 6)
    assert writer.stdout.readline().strip() == "writing"
    # The writer really holds the lock: another process cannot even open the warehouse to read.
    with pytest.raises(duckdb.IOException, match="(?i)lock"):
        duckdb.connect(str(warehouse), read_only=True)
    reader = _spawn(READER, snapshot, snapshot.parent / "parquet", 4)
    out, err = reader.communicate(timeout=60)
    report = json.loads(out)
    assert report["n_errors"] == 0, report["errors"]
    assert report["reads"] >= 3
    assert ["db", 0, len(funding_rows()), round(sum(r[3] for r in funding_rows()), 12)] in report["seen"]
    w_out, w_err = writer.communicate(timeout=60)
    assert writer.returncode == 0, w_err
    assert int(w_out.split()[-1]) > 0, "the writer made progress during the reads"


def test_snapshot_connection_cannot_write(published):
    _, snapshot = published
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.funding_daily").fetchone()[0] == len(funding_rows())
        for statement in ("INSERT INTO marts.funding_daily SELECT * FROM marts.funding_daily LIMIT 1",
                          "CREATE TABLE marts.x AS SELECT 1 AS a",
                          "DELETE FROM marts.funding_daily"):
            with pytest.raises(duckdb.Error, match="(?i)read-only"):
                con.execute(statement)
    assert snapshot.stat().st_mode & 0o222 == 0, "the file mode says read-only to every other tool too"


def test_natural_names_resolve_in_the_snapshot(published):
    # The file is marts.duckdb, so its catalog is `marts`; `marts.<table>` must not be ambiguous.
    _, snapshot = published
    assert snapshot.name == SNAPSHOT_DB
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.funding_daily").fetchone()[0] == len(funding_rows())
        assert con.execute("SELECT count(*) FROM funding_daily").fetchone()[0] == len(funding_rows())


def test_publish_during_reads_swaps_atomically(tmp_path):
    warehouse = make_warehouse(tmp_path, version=0)
    target = tmp_path / "snapshot"
    publish_snapshot(warehouse, target)
    readers = [_spawn(READER, target / SNAPSHOT_DB, target / "parquet", 8) for _ in range(2)]
    time.sleep(1.0)
    versions = [0]
    for v in range(1, 7):
        make_warehouse(tmp_path, version=v)
        publish_snapshot(warehouse, target)
        versions.append(v)
        time.sleep(0.4)
    expected_db = {v: (len(funding_rows(v)), round(sum(r[3] for r in funding_rows(v)), 12)) for v in versions}
    for reader in readers:
        out, err = reader.communicate(timeout=90)
        report = json.loads(out)
        assert report["n_errors"] == 0, report["errors"]
        seen_db = [s for s in report["seen"] if s[0] == "db"]
        # every read saw one whole publish: the version and the funding rows of the same publish
        for _, v, n, total in seen_db:
            assert (n, total) == expected_db[v], f"mixed snapshot: version {v} with {(n, total)}"
        assert len({s[1] for s in seen_db}) >= 2, "the readers saw more than one publish"
        assert {s[1] for s in report["seen"] if s[0] == "parquet"} <= set(versions)
    # old Parquet versions are pruned, the link points at the newest
    with duckdb.connect() as con:
        latest = con.execute(
            f"SELECT version FROM read_parquet('{target / 'parquet' / 'marts' / 'publish_version.parquet'}')").fetchone()
    assert latest[0] == versions[-1]
    assert len([p for p in (target / ".versions").iterdir()]) <= 2
    assert not list(target.glob(".build-*")), "no staging folders left behind"
