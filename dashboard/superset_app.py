"""The warehouse dashboard in Apache Superset, over the published read-only snapshot.

Runs with the dashboard's own virtualenv (dashboard/.venv, see README.md), never the project's:

    dashboard/.venv/bin/python dashboard/superset_app.py template   # once per install: metadata DB
    dashboard/.venv/bin/python dashboard/superset_app.py provision  # database, datasets, charts
    dashboard/.venv/bin/python dashboard/superset_app.py serve --port 8088

`provision` is idempotent and is re-run by `serve`: it points Superset at the snapshot, refreshes
the datasets' columns, and (re)creates one chart per mart the snapshot holds. Charts of marts
that are not published yet are simply absent; they appear on the next provision after they are.
Every number on the dashboard is a query against the snapshot at view time (Superset opens a new
read-only DuckDB connection per query, so each query sees the latest publish).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
TEMPLATE_DB = HERE / ".venv" / "metadata-template.db"
DATABASE_NAME = "warehouse snapshot"
DASHBOARD_SLUG = "market-structure"
DASHBOARD_TITLE = "Crypto derivatives market structure"
EXIT_USAGE = 2


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SUPERSET_CONFIG_PATH", str(HERE / "superset_config.py"))
    env.setdefault("FLASK_APP", "superset.app:create_app()")
    env["SUPERSET_LOAD_EXAMPLES"] = "no"
    return env


def _home() -> Path:
    os.environ.setdefault("SUPERSET_CONFIG_PATH", str(HERE / "superset_config.py"))
    sys.path.insert(0, str(HERE))
    import superset_config

    return superset_config.HOME


def snapshot_path() -> Path:
    if os.environ.get("DWH_SNAPSHOT"):
        return Path(os.environ["DWH_SNAPSHOT"]).resolve()
    data = Path(os.environ.get("DWH_DATA_DIR") or HERE.parent / "data")
    return data.resolve() / "snapshot" / "marts.duckdb"


def _superset(*args: str) -> None:
    subprocess.run([str(VENV_BIN / "superset"), *args], env=_env(), check=True,
                   stdout=subprocess.DEVNULL if not os.environ.get("DWH_VERBOSE") else None)


def build_template() -> Path:
    """Migrations + roles take ~1.5 min on SQLite; done once per install and copied per home."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DWH_SUPERSET_HOME"] = tmp
        _superset("db", "upgrade")
        _superset("init")
        TEMPLATE_DB.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp) / "superset.db", TEMPLATE_DB.with_suffix(".tmp"))
        os.replace(TEMPLATE_DB.with_suffix(".tmp"), TEMPLATE_DB)
    return TEMPLATE_DB


def ensure_metadata() -> Path:
    home = _home()
    db_file = home / "superset.db"
    if not db_file.exists():
        if TEMPLATE_DB.exists():
            shutil.copyfile(TEMPLATE_DB, db_file)
            _superset("db", "upgrade")  # a no-op unless Superset was upgraded since the template
        else:
            _superset("db", "upgrade")
            _superset("init")
    return db_file


# ----------------------------------------------------------------------------- provision

def _table_chart(columns: list[str], row_limit: int = 1000) -> dict:
    return {"viz_type": "table", "query_mode": "raw", "all_columns": columns, "order_by_cols": [],
            "row_limit": row_limit, "server_pagination": False, "include_search": False,
            "adhoc_filters": [], "table_timestamp_format": "%Y-%m-%d"}


def _line_chart(x: str, metrics: dict[str, str], groupby: list[str], filters: dict[str, str],
                y_format: str) -> dict:
    return {
        "viz_type": "echarts_timeseries_line", "x_axis": x, "time_grain_sqla": "P1D",
        "metrics": [{"expressionType": "SIMPLE", "column": {"column_name": column}, "aggregate": "AVG",
                     "label": label} for column, label in metrics.items()],
        "groupby": groupby,
        "adhoc_filters": [
            {"clause": "WHERE", "expressionType": "SIMPLE", "subject": x, "operator": "TEMPORAL_RANGE",
             "comparator": "No filter"},
            *({"clause": "WHERE", "expressionType": "SIMPLE", "subject": col, "operator": "==", "comparator": val}
              for col, val in filters.items()),
        ],
        "row_limit": 10000, "y_axis_format": y_format, "show_legend": True, "rich_tooltip": True,
        "x_axis_time_format": "%Y-%m-%d", "truncateYAxis": False,
    }


# Virtual datasets: the shaping the charts need, in SQL over the snapshot. Formatting that a
# reader compares across venues (signed percentages) is done here so every client shows the same text.
FUNDING_LATEST_SQL = """
select date, asset, exchange,
       printf('%+.2f%%', annualized_rate * 100) as annualized,
       printf('%+.4f%%', rate_8h * 100) as rate_8h,
       observations as settlements, symbols
from marts.funding_daily
where date = (select max(date) from marts.funding_daily)
order by asset, exchange
"""
HEADLINE_SQL = """
select date, figure, asset, value, unit, verification_status as verification, reason
from marts.headline_figures
where date = (select max(date) from marts.headline_figures) and entity is null
order by figure, asset
"""
DQ_SUMMARY_SQL = """
select run_date, status, severity, count(*) as checks
from marts.data_quality_results
where run_date = (select max(run_date) from marts.data_quality_results)
group by all order by status, severity
"""
DQ_FAILING_SQL = """
select run_date, suite, expectation, "table", status, severity, observed_value
from marts.data_quality_results
where run_date = (select max(run_date) from marts.data_quality_results) and status in ('failed', 'error')
order by severity, suite, expectation
"""


EXPIRIES_SQL = """
select asset, expiry, days_to_expiry, notional_usd, put_call_ratio, max_pain_strike
from marts.options_expiries_total
where snapshot_date = (select max(snapshot_date) from marts.options_expiries_total)
order by expiry, asset
"""
HOLDINGS_SQL = """
select date, entity, category, chain, asset, balance, verification_status
from marts.entity_holdings_daily
where date = (select max(date) from marts.entity_holdings_daily)
order by category, entity, chain, asset
"""
# Charts of marts that arrive later, each drawn only when its mart (with these columns) is published.
LATER_MARTS = {
    "liquidations_daily": {"date", "asset", "long_ratio", "long_ratio_30d_avg"},
    "options_expiries_total": {"snapshot_date", "asset", "expiry", "days_to_expiry", "notional_usd",
                               "put_call_ratio", "max_pain_strike"},
    "entity_holdings_daily": {"date", "entity", "category", "chain", "asset", "balance", "verification_status"},
}


def _snapshot_tables(snapshot: Path) -> dict[str, set[str]]:
    import duckdb

    with duckdb.connect(str(snapshot), read_only=True) as con:
        out: dict[str, set[str]] = {}
        for table, column in con.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_catalog = current_database()").fetchall():
            out.setdefault(table, set()).add(column)
        return out


def _has(tables: dict[str, set[str]], mart: str) -> bool:
    return mart in tables and LATER_MARTS.get(mart, set()) <= tables[mart]


def _assets(snapshot: Path) -> list[str]:
    import duckdb

    with duckdb.connect(str(snapshot), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT DISTINCT asset FROM marts.funding_daily ORDER BY 1").fetchall()]


def provision(snapshot: Path) -> dict:
    if not snapshot.exists():
        raise SystemExit(f"dashboard: no published snapshot at {snapshot}: run the pipeline first (make demo / dwh run)")
    tables = _snapshot_tables(snapshot)
    if "funding_daily" not in tables:
        raise SystemExit(f"dashboard: snapshot {snapshot} has no funding_daily: run dbt build and publish first")
    assets = _assets(snapshot)
    liquidation_assets = assets
    if _has(tables, "liquidations_daily"):
        import duckdb

        with duckdb.connect(str(snapshot), read_only=True) as con:
            liquidation_assets = [r[0] for r in con.execute(
                "SELECT DISTINCT asset FROM marts.liquidations_daily ORDER BY 1").fetchall()]
    ensure_metadata()

    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import db, security_manager
        from superset.connectors.sqla.models import SqlaTable
        from superset.models.core import Database
        from superset.models.dashboard import Dashboard
        from superset.models.slice import Slice

        # Anonymous read access to the charts' data (the Public role copies Gamma, which has none).
        perm = security_manager.add_permission_view_menu("all_datasource_access", "all_datasource_access")
        public = security_manager.find_role("Public") or security_manager.add_role("Public")
        security_manager.add_permission_role(public, perm)

        database = db.session.query(Database).filter_by(database_name=DATABASE_NAME).one_or_none()
        if database is None:
            database = Database(database_name=DATABASE_NAME)
            db.session.add(database)
        database.set_sqlalchemy_uri(f"duckdb:///{snapshot}")
        database.extra = json.dumps({"engine_params": {"connect_args": {"read_only": True}}})
        database.expose_in_sqllab = True
        database.allow_dml = False
        database.allow_run_async = False
        db.session.flush()

        def dataset(name: str, sql: str | None = None) -> SqlaTable:
            ds = db.session.query(SqlaTable).filter_by(table_name=name, database_id=database.id).one_or_none()
            if ds is None:
                ds = SqlaTable(table_name=name, database=database, schema="main")
                db.session.add(ds)
            ds.sql = sql.strip() if sql else None
            ds.schema = "main"
            db.session.flush()
            ds.fetch_metadata()
            return ds

        def chart(name: str, ds: SqlaTable, params: dict) -> Slice:
            params = {**params, "datasource": f"{ds.id}__table"}
            sl = db.session.query(Slice).filter_by(slice_name=name).one_or_none()
            if sl is None:
                sl = Slice(slice_name=name)
                db.session.add(sl)
            sl.viz_type = params["viz_type"]
            sl.datasource_type = "table"
            sl.datasource_id = ds.id
            sl.params = json.dumps(params)
            db.session.flush()
            return sl

        rows: list[list[tuple[Slice, int, int]]] = []
        if "headline_figures" in tables:
            ds = dataset("headline_figures_latest", HEADLINE_SQL)
            rows.append([(chart("Headline figures, latest day (with verification)", ds, _table_chart(
                ["date", "figure", "asset", "value", "unit", "verification", "reason"])), 12, 60)])
        ds = dataset("funding_latest_day", FUNDING_LATEST_SQL)
        rows.append([(chart("Funding by venue, latest day", ds, _table_chart(
            ["date", "asset", "exchange", "annualized", "rate_8h", "settlements", "symbols"])), 12, 60)])
        funding = dataset("funding_daily")
        line_row = [(chart(f"{a} funding by venue over time (annualized)", funding, _line_chart(
            "date", {"annualized_rate": "annualized funding"}, ["exchange"], {"asset": a}, ".0%")), 6, 60)
            for a in assets]
        for i in range(0, len(line_row), 2):
            rows.append(line_row[i:i + 2])
        if _has(tables, "liquidations_daily"):
            liq = dataset("liquidations_daily")
            liq_row = [(chart(f"{a} liquidations: long share vs its 30-day average", liq, _line_chart(
                "date", {"long_ratio": "long share", "long_ratio_30d_avg": "30-day average"}, [], {"asset": a},
                ".0%")), 6, 60) for a in liquidation_assets]
            for i in range(0, len(liq_row), 2):
                rows.append(liq_row[i:i + 2])
        if _has(tables, "options_expiries_total"):
            ds = dataset("options_expiry_calendar", EXPIRIES_SQL)
            rows.append([(chart("Options expiry calendar (latest snapshot)", ds, _table_chart(
                ["asset", "expiry", "days_to_expiry", "notional_usd", "put_call_ratio", "max_pain_strike"])), 12, 60)])
        if _has(tables, "entity_holdings_daily"):
            ds = dataset("entity_holdings_latest", HOLDINGS_SQL)
            rows.append([(chart("Entity holdings, latest day", ds, _table_chart(
                ["date", "entity", "category", "chain", "asset", "balance", "verification_status"])), 12, 60)])
        if "data_quality_results" in tables:
            summary = dataset("data_quality_latest_summary", DQ_SUMMARY_SQL)
            failing = dataset("data_quality_latest_failing", DQ_FAILING_SQL)
            rows.append([(chart("Data quality, latest run", summary, _table_chart(
                ["run_date", "status", "severity", "checks"])), 4, 50),
                (chart("Failing checks, latest run", failing, _table_chart(
                    ["run_date", "suite", "expectation", "table", "status", "severity", "observed_value"])), 8, 50)])

        dash = db.session.query(Dashboard).filter_by(slug=DASHBOARD_SLUG).one_or_none()
        if dash is None:
            dash = Dashboard(slug=DASHBOARD_SLUG)
            db.session.add(dash)
        dash.dashboard_title = DASHBOARD_TITLE
        dash.published = True
        dash.slices = [sl for row in rows for sl, _, _ in row]
        dash.position_json = json.dumps(_layout(rows))
        dash.json_metadata = json.dumps({"refresh_frequency": 0, "color_scheme": "supersetColors"})
        db.session.commit()
        return {"dashboard": f"/superset/dashboard/{DASHBOARD_SLUG}/", "charts": [s.slice_name for s in dash.slices],
                "snapshot": str(snapshot)}


def _layout(rows) -> dict:
    layout: dict = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": DASHBOARD_TITLE}},
    }
    for r, row in enumerate(rows):
        row_id = f"ROW-{r}"
        layout["GRID_ID"]["children"].append(row_id)
        layout[row_id] = {"type": "ROW", "id": row_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"],
                          "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for sl, width, height in row:
            cid = f"CHART-{sl.id}"
            layout[row_id]["children"].append(cid)
            layout[cid] = {"type": "CHART", "id": cid, "children": [], "parents": ["ROOT_ID", "GRID_ID", row_id],
                           "meta": {"chartId": sl.id, "width": width, "height": height, "sliceName": sl.slice_name,
                                    "uuid": str(sl.uuid)}}
    return layout


def serve(host: str, port: int, workers: int) -> int:
    cmd = [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--threads", "8", "--timeout", "120",
           "--bind", f"{host}:{port}", "--access-logfile", "-", "superset.app:create_app()"]
    print(f"dashboard: http://{host}:{port}/superset/dashboard/{DASHBOARD_SLUG}/ (Ctrl-C stops)", flush=True)
    os.execve(cmd[0], cmd, _env())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="superset_app.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("template", help="build the metadata DB template (install time)")
    sub.add_parser("provision", help="point Superset at the snapshot and (re)create the charts")
    s = sub.add_parser("serve", help="provision, then serve on a loopback port")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8088)
    s.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    os.environ.setdefault("SUPERSET_CONFIG_PATH", str(HERE / "superset_config.py"))
    if args.cmd == "template":
        print(build_template())
        return 0
    try:
        info = provision(snapshot_path())
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(info, indent=2), flush=True)
    if args.cmd == "serve":
        return serve(args.host, args.port, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
