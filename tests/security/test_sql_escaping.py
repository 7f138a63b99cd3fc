"""No SQL is built from unescaped input: hostile paths and names are escaped or refused.

The loader writes landed file paths, JSON paths and day strings into SQL text as literals (sql_str)
and table, column and type names as identifiers it checks (_ident, _type). Each test feeds one
hostile value and checks it is either loaded intact or refused before any SQL runs, and that the
warehouse is untouched by it.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json

import duckdb
import pytest

from ingest.landing import dataset_dir
from ingest.load import ensure_tables, load_day, load_files, table_name
from ingest.spec import Dataset, Field
from tests.support.integrity import table_hashes

DAY = dt.date(2026, 11, 26)
INJECTION = "x'); DROP TABLE raw.quarantine; --"


def land(directory, name: str, body) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    env = {"source": "probe", "dataset": "rates", "date": DAY.isoformat(), "run_id": "r1", "method": "GET",
           "url": "http://127.0.0.1/x", "params": {"symbol": INJECTION}, "request_body": None,
           "fetched_at": "2026-11-27T00:30:00+00:00", "status": 200, "body_encoding": "utf-8",
           "body": json.dumps(body)}
    (directory / name).write_bytes(gzip.compress((json.dumps(env) + "\n").encode(), mtime=0))


def rates(**overrides) -> Dataset:
    spec = {"name": "rates", "records": "$", "key": ("symbol", "t"), "fields": (
        Field("symbol", "env:$.params.symbol"), Field("t", "$.t", "BIGINT"), Field("rate", "$.rate", "DOUBLE"))}
    spec.update(overrides)
    return Dataset(**spec)


@pytest.fixture()
def con():
    c = duckdb.connect(":memory:")
    ensure_tables(c)
    yield c
    c.close()


def test_quotes_in_the_data_dir_and_file_name_are_escaped(tmp_path, con):
    root = tmp_path / "data 'dir\"; --"
    land(dataset_dir(root, "probe", "rates", DAY), f"it's{INJECTION}-000001.ndjson.gz", [{"t": 1, "rate": 0.0001}])
    load_day(con, root, DAY, {"probe": [rates()]})
    rows = con.execute(f"SELECT symbol, t, rate, _file FROM {table_name('probe', 'rates')}").fetchall()
    assert rows == [(INJECTION, 1, 0.0001, rows[0][3])] and rows[0][3].endswith("-000001.ndjson.gz")
    assert "it's" in rows[0][3], "the file name reached the table intact"
    assert con.execute("SELECT count(*) FROM raw.quarantine").fetchone() == (0,)


def test_a_quote_in_a_json_path_is_escaped(tmp_path, con):
    land(tmp_path / "d", "r-000001.ndjson.gz", [{"t": 1}])
    ds = rates(fields=(Field("symbol", "env:$.params.symbol"), Field("t", "$.t", "BIGINT"),
                       Field("rate", "$.ra'te" + INJECTION, "DOUBLE")))
    stats = load_files(con, "probe", ds, DAY, sorted((tmp_path / "d").iterdir()))
    assert stats["quarantined"] == 1
    reason = con.execute("SELECT reason FROM raw.quarantine").fetchone()[0]
    assert "$.ra'te" + INJECTION in reason, "the path is quoted into the reason, not executed"


def test_a_quote_in_the_records_path_is_escaped(tmp_path, con):
    land(tmp_path / "d", "r-000001.ndjson.gz", {"da'ta": [{"t": 1, "rate": 0.1}]})
    stats = load_files(con, "probe", rates(records="$.da'ta"), DAY, sorted((tmp_path / "d").iterdir()))
    assert (stats["loaded"], stats["quarantined"]) == (1, 0), "the records were found under the quoted key"


@pytest.mark.parametrize("source, dataset", [("bin'ance", "rates"), ("probe", "rates; DROP TABLE raw.quarantine"),
                                             ("probe", 'rates"'), ("prob\u00e9", "rates")])
def test_hostile_table_names_are_refused(source, dataset, con):
    with pytest.raises(ValueError, match="unsafe identifier"):
        table_name(source, dataset)


@pytest.mark.parametrize("field", [Field("a b", "$.a"), Field("a'); --", "$.a"), Field("ok", "$.a", INJECTION)])
def test_hostile_columns_and_types_are_refused(tmp_path, con, field):
    land(tmp_path / "d", "r-000001.ndjson.gz", [{"t": 1, "rate": 0.1, "a": 1}])
    ds = rates(fields=(Field("symbol", "env:$.params.symbol"), Field("t", "$.t", "BIGINT"), field))
    with pytest.raises(ValueError, match="unsafe"):
        load_files(con, "probe", ds, DAY, sorted((tmp_path / "d").iterdir()))
    assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'quarantine'").fetchone() == (1,)


def test_table_hashes_quote_odd_table_names(tmp_path):
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as c:
        c.execute('CREATE SCHEMA marts; CREATE TABLE marts."we""ird; --" AS SELECT 1 AS x')
    assert set(table_hashes(db)) == {'we"ird; --'}
