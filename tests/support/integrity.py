"""Content hashes of tables, to prove reruns and backfill orders leave identical marts."""
from __future__ import annotations

from pathlib import Path

import duckdb


def table_hashes(db_path: Path | str, schema: str = "marts", exclude: tuple[str, ...] = (),
                 landing_relative: bool = False, exclude_columns: tuple[str, ...] = ()) -> dict[str, str]:
    """One order-independent hash per table: md5 over the sorted md5s of its rows. `landing_relative`
    takes the loader's landed-file columns (`_file`, `file`) relative to the landing zone, so warehouses
    loaded from one landing zone through different data directories compare; `exclude_columns` leaves
    the named columns out wherever a table has them."""
    out: dict[str, str] = {}
    with duckdb.connect(str(db_path), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type IN ('BASE TABLE', 'VIEW') "
            "ORDER BY 1", [schema]).fetchall()]
        for name in names:
            if name in exclude:
                continue
            relation = ".".join('"' + part.replace('"', '""') + '"' for part in (schema, name))
            cols = {c for (c,) in con.execute("SELECT column_name FROM information_schema.columns "
                                               "WHERE table_schema = ? AND table_name = ?", [schema, name]).fetchall()}
            relative = ", ".join(f"regexp_replace({c}, '^.*/landing/', '') AS {c}" for c in ("_file", "file")
                                 if landing_relative and c in cols)
            dropped = ", ".join(f'"{c}"' for c in exclude_columns if c in cols)
            rows = f"(SELECT *{f' EXCLUDE ({dropped})' if dropped else ''}{f' REPLACE ({relative})' if relative else ''} " \
                   f"FROM {relation})" if relative or dropped else relation
            out[name] = con.execute(
                f'SELECT coalesce(md5(string_agg(h, \',\' ORDER BY h)), \'empty\') FROM '
                f'(SELECT md5(CAST(t AS VARCHAR)) AS h FROM {rows} AS t)').fetchone()[0]  # quoted identifiers  # nosec B608
    return out
