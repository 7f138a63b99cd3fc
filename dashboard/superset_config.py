"""Superset configuration for the warehouse dashboard (loaded through SUPERSET_CONFIG_PATH).

Everything Superset writes (its metadata DB, the secret key) lives in DWH_SUPERSET_HOME, by
default $DWH_DATA_DIR/superset, next to the snapshot it reads; nothing under the source tree.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

_DATA = Path(os.environ.get("DWH_DATA_DIR") or Path(__file__).resolve().parent.parent / "data")
HOME = Path(os.environ.get("DWH_SUPERSET_HOME") or _DATA / "superset")
HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    # One per home, made on first start: sessions survive restarts, and no key is ever committed.
    path = HOME / "secret_key"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        os.replace(tmp, path)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
SQLALCHEMY_DATABASE_URI = f"sqlite:///{HOME / 'superset.db'}"
# SQLite metadata on a single loopback instance; the check is for multi-worker production setups.
SQLALCHEMY_TRACK_MODIFICATIONS = False

# The dashboard is read-only market data served on loopback: anonymous visitors get the Gamma
# role's read permissions (plus datasource access, granted by superset_app.py provision).
AUTH_ROLE_PUBLIC = "Public"
PUBLIC_ROLE_LIKE = "Gamma"

# No outside calls from a machine that may have no internet: no analytics pixel, no map tiles.
SCARF_ANALYTICS = False
MAPBOX_API_KEY = ""
# Content-Security-Policy is for internet-facing deployments; this one binds to 127.0.0.1 only.
TALISMAN_ENABLED = False
# Superset refuses file-backed databases by default (SQLite URIs); the snapshot is a local file
# by design and opened read-only.
PREVENT_UNSAFE_DB_CONNECTIONS = False

ROW_LIMIT = 50000
SQLLAB_CTAS_NO_LIMIT = True
FEATURE_FLAGS = {"DASHBOARD_RBAC": False}
