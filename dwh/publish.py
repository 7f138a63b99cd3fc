"""Publish the marts and the figures as a read-only snapshot for BI and analysts.

The snapshot is a separate DuckDB file (plus one Parquet file per table) built under a temporary
name and swapped in with a rename, so a reader holding the old file keeps reading it and never
meets the writer's lock. It holds schema marts (its tables, and its views materialized as tables:
marts.headline_figures and marts.data_quality_results, the names kept for the figures layer's relations)
and the tables of schema figures. A table whose error-severity check failed on the run date is withheld
(figures.check_results: GX on raw and figures, dbt's tests of the marts); docs/verification.md.

Layout under the target directory:
    marts.duckdb            the snapshot database, replaced by one rename per publish
    parquet -> .versions/S  a symlink, replaced by one rename, to this publish's Parquet folder
    .versions/S/<schema>/<table>.parquet, .versions/S/manifest.json
    manifest.json           what was published and when

A DuckDB file opened directly gets the catalog name of its stem, so in `marts.duckdb` a schema
called `marts` would make `marts.funding_daily` ambiguous (catalog.table or schema.table) and every
natural query would fail. The schema that shares the file's stem therefore goes to `main`:
`SELECT * FROM marts.funding_daily` then reads catalog `marts`, schema `main`, as analysts expect.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

from ingest.warehouse import connect as open_warehouse

SNAPSHOT_DB = "marts.duckdb"
PARQUET_LINK = "parquet"
VERSIONS_DIR = ".versions"
# The previous version stays on disk for a reader that resolved the old link just before the swap.
KEEP_VERSIONS = 2


def _lit(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def snapshot_schema(schema: str) -> str:
    """Where a warehouse schema lives inside the snapshot file (see the module docstring)."""
    return "main" if schema == Path(SNAPSHOT_DB).stem else schema


def _swap_symlink(link: Path, target: str) -> None:
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target)
    if link.exists() and not link.is_symlink():
        # Layout of an older publisher (a plain folder): moved aside once; from then on swaps are atomic.
        link.rename(link.with_name(f".{link.name}-legacy-{os.getpid()}"))
    os.replace(tmp, link)


def _prune_versions(versions: Path, keep: int) -> None:
    for old in sorted(p for p in versions.iterdir() if p.is_dir())[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    for legacy in versions.parent.glob(f".{PARQUET_LINK}-legacy-*"):
        shutil.rmtree(legacy, ignore_errors=True)


# Where the day's check results are read: the figures layer's union of GX results and dbt's mart tests, or,
# in a warehouse dbt has not built yet, what GX wrote.
CHECK_RESULTS = (("figures", "check_results"), ("audit", "data_quality_results"))
# The compatibility views publish what they read: each is withheld with the table behind it.
SAME_AS = {"marts.headline_figures": "figures.headline_figures", "marts.data_quality_results": "figures.check_results"}


def withheld_tables(warehouse: Path, run_date: dt.date) -> dict[str, str]:
    """Tables a failed error-severity check (or one that could not run) guards for run_date: schema.table ->
    the checks that failed. A check guards the table it reads and nothing else (docs/verification.md)."""
    with open_warehouse(warehouse, read_only=True) as con:
        present = {tuple(r) for r in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
        source = next((f"{_ident(s)}.{_ident(t)}" for s, t in CHECK_RESULTS if (s, t) in present), None)
        if source is None:
            return {}
        rows = con.execute(
            f"""SELECT "table", string_agg(expectation || ' (' || status || coalesce(': ' || observed_value, '')
                       || ')', '; ' ORDER BY expectation)
                FROM {source}
                WHERE run_date = ? AND severity = 'error' AND status IN ('failed', 'error')
                GROUP BY 1 ORDER BY 1""", [run_date]).fetchall()  # constant table names, bound values  # nosec B608
    held = {table: f"error-severity check failed: {checks}" for table, checks in rows}
    held.update({alias: held[origin] for alias, origin in SAME_AS.items() if origin in held})
    return held


PREVIOUS = "_previous_snapshot"


def _catalog(warehouse: Path) -> str:
    name = Path(warehouse).stem
    if name in (Path(SNAPSHOT_DB).stem, PREVIOUS):
        raise ValueError(f"a warehouse named {Path(warehouse).name} would share its catalog name with the snapshot")
    return name


def _previous_tables(target_dir: Path) -> tuple[Path | None, str | None, set[str]]:
    """The snapshot published before this one: its file, version and tables (schema.table as in the warehouse)."""
    previous = target_dir / SNAPSHOT_DB
    manifest = target_dir / "manifest.json"
    if not previous.exists() or not manifest.exists():
        return None, None, set()
    doc = json.loads(manifest.read_text())
    return previous, doc.get("version"), set(doc.get("tables") or [])


# schema -> the relation types published from it. The marts' views (marts.headline_figures and
# marts.data_quality_results, kept under their old names) are materialized as tables; the figures layer's
# own views are its working parts, and `audit` is published only as marts.data_quality_results.
PUBLISHED = {"marts": ("BASE TABLE", "VIEW"), "figures": ("BASE TABLE",)}


def publish_snapshot(warehouse: Path, target_dir: Path, schemas: tuple[str, ...] = tuple(PUBLISHED),
                     run_date: dt.date | None = None) -> Path:
    """Publish the tables (and the marts' views, as tables) of the schemas. With `run_date`, a table that failed an error-severity check that
    day is withheld: the snapshot keeps the copy it published before (or leaves the table out when there is
    none), and the manifest's `withheld` says which, why, and which version is kept."""
    target_dir.mkdir(parents=True, exist_ok=True)
    withheld = withheld_tables(warehouse, run_date) if run_date else {}
    previous, previous_version, previous_tables = _previous_tables(target_dir)
    held: dict[str, dict[str, object]] = {}
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    staging = target_dir / f".build-{stamp}"
    staging.mkdir()
    versions = target_dir / VERSIONS_DIR
    version_dir = versions / stamp
    db_tmp = staging / SNAPSHOT_DB
    tables: list[str] = []
    try:
        # The new file is the main database (read-write); the warehouse is attached read-only, so the
        # publisher never takes the warehouse's write lock.
        with open_warehouse(db_tmp) as snap:
            # Under its own name: dbt writes a view's relations with the warehouse's catalog name.
            wh = _ident(_catalog(warehouse))
            snap.execute(f"ATTACH {_lit(warehouse)} AS {wh} (READ_ONLY)")
            if withheld and previous is not None:
                snap.execute(f"ATTACH {_lit(previous)} AS {PREVIOUS} (READ_ONLY)")
            for schema in schemas:
                dest = snapshot_schema(schema)
                snap.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(dest)}")
                names = [r[0] for r in snap.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? "
                    "AND table_schema = ? AND list_contains(?, table_type) ORDER BY 1",
                    [_catalog(warehouse), schema, list(PUBLISHED.get(schema, ("BASE TABLE",)))]).fetchall()]
                parquet_dir = staging / PARQUET_LINK / schema
                parquet_dir.mkdir(parents=True, exist_ok=True)
                for name in names:
                    table = f"{_ident(dest)}.{_ident(name)}"
                    origin = f"{wh}.{_ident(schema)}.{_ident(name)}"
                    if f"{schema}.{name}" in withheld:
                        kept = previous is not None and f"{schema}.{name}" in previous_tables
                        held[f"{schema}.{name}"] = {"reason": withheld[f"{schema}.{name}"], "kept_version":
                                                    previous_version if kept else None}
                        if not kept:  # never published before: left out rather than published unchecked
                            continue
                        origin = f"{PREVIOUS}.{_ident(dest)}.{_ident(name)}"
                    snap.execute(f"CREATE TABLE {table} AS SELECT * FROM {origin}")  # names: _ident; paths: _lit  # nosec B608
                    snap.execute(f"COPY {table} TO {_lit(parquet_dir / (name + '.parquet'))} (FORMAT parquet)")
                    tables.append(f"{schema}.{name}")
            snap.execute(f"DETACH {wh}")
            if withheld and previous is not None:
                snap.execute(f"DETACH {PREVIOUS}")
        manifest = json.dumps({"published_at": dt.datetime.now(dt.UTC).isoformat(), "version": stamp,
                               "run_date": run_date.isoformat() if run_date else None,
                               "tables": tables, "withheld": held}, indent=2)
        (staging / PARQUET_LINK / "manifest.json").write_text(manifest)
        (staging / "manifest.json").write_text(manifest)
        os.chmod(db_tmp, 0o444)  # readers open it read_only; the mode says so to every other tool too
        versions.mkdir(exist_ok=True)
        (staging / PARQUET_LINK).rename(version_dir)
        # Each swap is one rename: a reader sees the old or the new file/folder, never a missing one.
        _swap_symlink(target_dir / PARQUET_LINK, f"{VERSIONS_DIR}/{stamp}")
        os.replace(db_tmp, target_dir / SNAPSHOT_DB)
        os.replace(staging / "manifest.json", target_dir / "manifest.json")
        _prune_versions(versions, KEEP_VERSIONS)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target_dir / SNAPSHOT_DB
