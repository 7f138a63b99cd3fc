"""The warehouse dashboard in Apache Superset, over the published read-only snapshot.

Runs with the dashboard's own virtualenv (dashboard/.venv, see README.md), never the project's:

    dashboard/.venv/bin/python dashboard/superset_app.py template   # once per install: metadata DB
    dashboard/.venv/bin/python dashboard/superset_app.py provision  # import dashboard/bundle/ for the snapshot
    dashboard/.venv/bin/python dashboard/superset_app.py serve --port 8088
    dashboard/.venv/bin/python dashboard/superset_app.py export     # this home's dashboard -> dashboard/bundle/

The dashboard is the Superset bundle under dashboard/bundle/ (assets_bundle.py). `provision` is re-run
by `serve` and is idempotent: it zips the bundle with the snapshot's path as the database URI and
imports it with Superset's importer, which overwrites every object in place. Charts of marts that are
not published yet are left out of the zip; they appear on the first provision after they are.
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

import assets_bundle

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
TEMPLATE_DB = HERE / ".venv" / "metadata-template.db"
DASHBOARD_SLUG = "market-structure"
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

def provision(snapshot: Path) -> dict:
    """Imports the bundle (dashboard/bundle/) fitted to this snapshot; re-importing overwrites every object."""
    if not snapshot.exists():
        raise SystemExit(f"dashboard: no published snapshot at {snapshot}: run the pipeline first (make demo / dwh run)")
    import duckdb

    with duckdb.connect(str(snapshot), read_only=True) as con:
        if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
                           "AND table_name = 'funding_daily'").fetchone()[0]:
            raise SystemExit(f"dashboard: snapshot {snapshot} has no funding_daily: run dbt build and publish first")
    files, left_out = assets_bundle.fit(assets_bundle.read_bundle(), snapshot)
    ensure_metadata()
    home = _home()
    bundle_zip = assets_bundle.write_zip(files, home / f"{DASHBOARD_SLUG}.zip")

    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import db, security_manager
        from superset.models.dashboard import Dashboard

        assets_bundle.import_zip(bundle_zip)
        # Bundles carry no roles: anonymous read access to the charts' data is granted here (the Public role
        # copies Gamma, which has no datasource access).
        perm = security_manager.add_permission_view_menu("all_datasource_access", "all_datasource_access")
        public = security_manager.find_role("Public") or security_manager.add_role("Public")
        security_manager.add_permission_role(public, perm)
        db.session.commit()
        dash = db.session.query(Dashboard).filter_by(slug=DASHBOARD_SLUG).one()
        info = {"dashboard": f"/superset/dashboard/{DASHBOARD_SLUG}/", "bundle": str(bundle_zip),
                "charts": sorted(s.slice_name for s in dash.slices), "left_out": left_out, "snapshot": str(snapshot)}
    (home / "provisioned.json").write_text(json.dumps(info, indent=2))
    return info


def export(snapshot: Path, root: Path) -> list[str]:
    """Writes the dashboard as this Superset home holds it (edited in the UI, say) back to dashboard/bundle/."""
    provisioned = _home() / "provisioned.json"
    left_out = json.loads(provisioned.read_text())["left_out"] if provisioned.exists() else None
    if left_out is None or left_out:
        # an export would silently drop the charts this home never received
        raise SystemExit("dashboard: export from a home provisioned against a snapshot holding every mart "
                         f"(left out here: {left_out})")
    from superset.app import create_app

    with create_app().app_context():
        return assets_bundle.export(DASHBOARD_SLUG, snapshot, root)


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
    sub.add_parser("provision", help="import the bundle (dashboard/bundle/) pointed at the snapshot")
    e = sub.add_parser("export", help="write this home's dashboard back to the bundle's files")
    e.add_argument("--to", type=Path, default=assets_bundle.BUNDLE_DIR, help="bundle folder (default: %(default)s)")
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
        if args.cmd == "export":
            print("\n".join(export(snapshot_path(), args.to)))
            return 0
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
