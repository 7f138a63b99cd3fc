"""Reads a provisioned Superset home, run with the dashboard's own Python (dashboard/.venv): tests/dashboard.

    objects  every database, dataset, chart and dashboard row with its id, and the dashboard's chart links
    query    each dashboard chart's query run through Superset's own dataset code against its database

Prints one JSON document on the last line of stdout.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"


def _objects() -> dict:
    from superset import db
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.core import Database
    from superset.models.dashboard import Dashboard, dashboard_slices
    from superset.models.slice import Slice

    return {
        "databases": [[d.id, str(d.uuid), d.database_name, d.sqlalchemy_uri] for d in db.session.query(Database)],
        "datasets": [[d.id, str(d.uuid), d.table_name, d.sql, d.database_id, sorted(c.column_name for c in d.columns)]
                     for d in db.session.query(SqlaTable)],
        "charts": [[s.id, str(s.uuid), s.slice_name, s.datasource_id, s.params] for s in db.session.query(Slice)],
        "dashboards": [[d.id, str(d.uuid), d.slug, d.position_json, d.json_metadata] for d in db.session.query(Dashboard)],
        "dashboard_slices": sorted(map(list, db.session.execute(
            dashboard_slices.select().with_only_columns(dashboard_slices.c.dashboard_id,
                                                        dashboard_slices.c.slice_id)).fetchall())),
    }


def _query_obj(params: dict) -> dict:
    """The query a table (raw mode) or time-series chart asks its dataset for."""
    filters = [{"col": f["subject"], "op": f["operator"], "val": f["comparator"]}
               for f in params.get("adhoc_filters", []) if f["operator"] == "=="]
    if params["viz_type"] == "table":
        columns, metrics = params["all_columns"], []
    else:
        columns, metrics = [params["x_axis"], *params.get("groupby", [])], params["metrics"]
    return {"columns": columns, "metrics": metrics, "filter": filters, "row_limit": params["row_limit"],
            "is_timeseries": False, "extras": {}, "orderby": [], "granularity": None, "from_dttm": None,
            "to_dttm": None}


def _queries() -> dict:
    from superset import db
    from superset.models.dashboard import Dashboard

    dash = db.session.query(Dashboard).filter_by(slug="market-structure").one()
    out = {}
    for chart in dash.slices:
        result = chart.datasource.query(_query_obj(json.loads(chart.params)))
        if result.error_message:
            raise SystemExit(f"{chart.slice_name}: {result.error_message}")
        out[chart.slice_name] = {"uri": chart.datasource.database.sqlalchemy_uri,
                                 "rows": json.loads(result.df.to_json(orient="records", date_format="iso"))}
    return out


def main(mode: str) -> None:
    os.environ.setdefault("SUPERSET_CONFIG_PATH", str(DASHBOARD / "superset_config.py"))
    sys.path.insert(0, str(DASHBOARD))
    from superset.app import create_app

    with create_app().app_context():
        doc = _objects() if mode == "objects" else _queries()
    print(json.dumps(doc, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
