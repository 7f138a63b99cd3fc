"""The dashboard as a Superset assets bundle: the YAML files under bundle/, fitted to a snapshot, imported
and exported with Superset's own commands.

The files are what Superset's export writes (metadata.yaml, databases/, datasets/, charts/, dashboards/),
with two differences, both undone or redone here:
- the database URI is a placeholder, filled with the snapshot path at import time (the path differs per
  deployment, as Superset's own examples do with __SQLALCHEMY_EXAMPLES_URI__);
- metadata.yaml says `type: assets`, because the bundle is imported with ImportAssetsCommand, which
  overwrites the database, the datasets and the charts as well as the dashboard. ImportDashboardsCommand
  (`superset import-dashboards`) overwrites only the dashboard and keeps the other objects as first
  imported, so a moved snapshot or an edited chart would never reach an existing Superset home.

Runs inside the dashboard's virtualenv, in a Flask app context (superset_app.py opens it).
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import yaml

BUNDLE_DIR = Path(__file__).resolve().parent / "bundle"
URI_PLACEHOLDER = "duckdb:///__DWH_SNAPSHOT__"
# The importer checks the importing user's write permissions and makes it the objects' owner. This user
# cannot log in (inactive, random password never stored); it exists so the import has an owner.
IMPORT_USER = "dashboard-bundle"
# Chart form-data keys that name dataset columns (Superset's table and ECharts time-series controls).
COLUMN_KEYS = ("x_axis", "groupby", "columns", "all_columns")


def read_bundle(root: Path = BUNDLE_DIR) -> dict[str, str]:
    """The bundle's files as the importer takes them: path inside the bundle -> YAML text."""
    files = {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.yaml"))}
    if "metadata.yaml" not in files:
        raise SystemExit(f"dashboard: {root} is not a Superset bundle (no metadata.yaml)")
    return files


def _relation_columns(con, dataset: dict) -> set[str]:
    """The columns the dataset's query returns on this snapshot; raises duckdb.Error if it does not bind."""
    if dataset.get("sql"):
        relation = f"({dataset['sql']})"
    else:
        relation = ".".join('"' + part.replace('"', '""') + '"'
                            for part in (dataset.get("schema") or "main", dataset["table_name"]))
    # the dataset's own SQL, from the bundle under source control  # nosec B608
    return {d[0] for d in con.execute(f"SELECT * FROM {relation} AS q LIMIT 0").description}


def chart_columns(params: dict) -> set[str]:
    """Plain column names a chart reads (SQL-expression columns and metrics are checked when drawn)."""
    names: set[str] = set()
    for key in COLUMN_KEYS:
        value = params.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                names.add(item)
    for metric in [*(params.get("metrics") or []), params.get("metric")]:
        if isinstance(metric, dict) and metric.get("expressionType") == "SIMPLE":
            names.add(metric["column"]["column_name"])
    for f in params.get("adhoc_filters") or []:
        if f.get("expressionType") == "SIMPLE":
            names.add(f["subject"])
    return names


def _prune_position(position: dict, keep: set[str]) -> dict:
    """Drops the charts not kept, then the rows, columns and tabs they leave empty."""
    position = {k: v for k, v in position.items()}
    drop = {k for k, v in position.items()
            if isinstance(v, dict) and v.get("type") == "CHART" and v["meta"].get("uuid") not in keep}
    while drop:
        for key in drop:
            del position[key]
        for node in position.values():
            if isinstance(node, dict) and "children" in node:
                node["children"] = [c for c in node["children"] if c not in drop]
        drop = {k for k, v in position.items()
                if isinstance(v, dict) and v.get("type") in ("ROW", "COLUMN", "TABS", "TAB") and not v["children"]}
    return position


def fit(files: dict[str, str], snapshot: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The bundle for this snapshot: the URI filled in, and each chart left out (name -> why) whose dataset
    does not bind on the snapshot or lacks a column the chart reads, so a mart not published yet leaves a
    gap instead of a broken chart; it appears on the first provision after it is published."""
    import duckdb

    docs = {name: yaml.safe_load(text) for name, text in files.items()}
    bound: dict[str, set[str] | str] = {}
    with duckdb.connect(str(snapshot), read_only=True) as con:
        for name, doc in docs.items():
            if name.startswith("datasets/"):
                try:
                    bound[doc["uuid"]] = _relation_columns(con, doc)
                except duckdb.Error as exc:
                    bound[doc["uuid"]] = str(exc).splitlines()[0]
    left_out: dict[str, str] = {}
    for name, doc in list(docs.items()):
        if not name.startswith("charts/"):
            continue
        columns = bound.get(doc["dataset_uuid"], "its dataset is not in the bundle")
        missing = chart_columns(doc["params"]) - columns if isinstance(columns, set) else set()
        if isinstance(columns, str) or missing:
            left_out[doc["slice_name"]] = columns if isinstance(columns, str) else f"no column {sorted(missing)}"
            del docs[name]
    kept = {doc["uuid"] for name, doc in docs.items() if name.startswith("charts/")}
    used = {doc["dataset_uuid"] for name, doc in docs.items() if name.startswith("charts/")}
    out: dict[str, str] = {}
    for name, doc in docs.items():
        if name.startswith("datasets/") and doc["uuid"] not in used:
            continue
        if name.startswith("dashboards/"):
            doc["position"] = _prune_position(doc["position"], kept)
            out[name] = yaml.safe_dump(doc, sort_keys=False)
        elif name.startswith("databases/"):
            out[name] = files[name].replace(URI_PLACEHOLDER, f"duckdb:///{snapshot}")
        else:
            out[name] = files[name]
    return out, left_out


def write_zip(files: dict[str, str], path: Path) -> Path:
    """The zip Superset's export writes (one root folder) and `superset import-*` / the UI read."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in sorted(files.items()):
            zf.writestr(f"{path.stem}/{name}", text)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(buf.getvalue())
    os.replace(tmp, path)
    return path


def import_user():
    """The (inactive) admin user the import runs as; made once per Superset home."""
    import secrets

    from superset import db, security_manager

    user = security_manager.find_user(username=IMPORT_USER)
    if user is None:
        user = security_manager.add_user(IMPORT_USER, "dashboard", "bundle", f"{IMPORT_USER}@localhost",
                                         security_manager.find_role("Admin"), password=secrets.token_urlsafe(32))
        user.active = False
        db.session.commit()
    return user


def import_zip(path: Path) -> None:
    from superset.commands.importers.v1.assets import ImportAssetsCommand
    from superset.commands.importers.v1.utils import get_contents_from_bundle
    from superset.utils.core import override_user

    with zipfile.ZipFile(path) as zf:
        contents = get_contents_from_bundle(zf)
    with override_user(import_user()):
        ImportAssetsCommand(contents).run()


def export(slug: str, snapshot: Path, root: Path = BUNDLE_DIR) -> list[str]:
    """Writes the dashboard as it is in this Superset home back to bundle files (Superset's export, with the
    snapshot URI turned back into the placeholder and file names without the home's ids)."""
    from superset import db
    from superset.commands.dashboard.export import ExportDashboardsCommand
    from superset.models.dashboard import Dashboard
    from superset.utils.core import override_user
    from superset.utils.file import get_filename

    dash = db.session.query(Dashboard).filter_by(slug=slug).one()
    files: dict[str, str] = {}
    with override_user(import_user()):
        for name, content in ExportDashboardsCommand([dash.id]).run():
            text = content()
            doc = yaml.safe_load(text)
            title = doc.get("slice_name") or doc.get("table_name") or doc.get("dashboard_title")
            if name == "metadata.yaml":
                text = yaml.safe_dump({**doc, "type": "assets"}, sort_keys=False)
            elif name.startswith("databases/"):
                text = text.replace(f"duckdb:///{snapshot}", URI_PLACEHOLDER)
            elif title:
                name = f"{name.rsplit('/', 1)[0]}/{get_filename(title, 0, skip_id=True)}.yaml"
            if name in files:
                raise SystemExit(f"dashboard: two objects export to {name}: give them different names")
            files[name] = text
    for old in root.rglob("*.yaml"):
        old.unlink()
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return sorted(files)
