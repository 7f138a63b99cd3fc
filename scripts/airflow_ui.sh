#!/usr/bin/env bash
# The Airflow UI for this project on loopback: api-server, scheduler, dag-processor and triggerer with the
# LocalExecutor and SQLite metadata under $AIRFLOW_HOME (default $DWH_DATA_DIR/airflow).
# Ctrl-C (or SIGTERM) stops them all.
#
# Sign-in: user $AIRFLOW_ADMIN_USER (default admin). The password is $AIRFLOW_ADMIN_PASSWORD when set,
# otherwise one generated once into $AIRFLOW_HOME/simple_auth_manager_passwords.json (data/ is
# git-ignored, so it is never committed).
#
# Environment: AIRFLOW_PORT (8080), DWH_SOURCES (config/sources.yml; point it at a sandbox file for
# local runs), DWH_DATA_DIR, AIRFLOW_HOME, AIRFLOW_ADMIN_USER, AIRFLOW_ADMIN_PASSWORD.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV_BIN:-$ROOT/.venv/bin}
PORT=${AIRFLOW_PORT:-8080}

export DWH_DATA_DIR=${DWH_DATA_DIR:-$ROOT/data}
# Task processes may run elsewhere than the repository root: relative paths would move with them.
if [[ -n ${DWH_SOURCES:-} && $DWH_SOURCES != /* ]]; then
  export DWH_SOURCES=$ROOT/$DWH_SOURCES
fi
export AIRFLOW_HOME=${AIRFLOW_HOME:-$DWH_DATA_DIR/airflow}
export DBT_PROFILES_DIR=$ROOT/dbt_project
export AIRFLOW__CORE__DAGS_FOLDER=$ROOT/dags
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# A set executor (with its metadata DB) is kept: tests/ops/test_deployment.py runs this on the Celery topology.
export AIRFLOW__CORE__EXECUTOR=${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT=$PORT
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$PORT/execution/
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW_ADMIN_USER:-admin}:admin"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=$AIRFLOW_HOME/simple_auth_manager_passwords.json
# No network beyond loopback: no usage reporting from any component.
export AIRFLOW__COSMOS__ENABLE_TELEMETRY=${AIRFLOW__COSMOS__ENABLE_TELEMETRY:-False}
export DO_NOT_TRACK=1 SCARF_NO_ANALYTICS=true

mkdir -p "$AIRFLOW_HOME"

# The API server keeps any password already in this file and only generates missing ones.
"$BIN/python" - <<'PY'
import json, os, secrets
from pathlib import Path

path = Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
user = os.environ.get("AIRFLOW_ADMIN_USER") or "admin"
passwords = json.loads(path.read_text() or "{}") if path.exists() else {}
if os.environ.get("AIRFLOW_ADMIN_PASSWORD"):
    passwords[user] = os.environ["AIRFLOW_ADMIN_PASSWORD"]
    note = "from AIRFLOW_ADMIN_PASSWORD"
elif user not in passwords:
    passwords[user] = secrets.token_urlsafe(18)
    note = f"generated, stored in {path}"
else:
    note = f"stored in {path}"
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as out:
    json.dump(passwords, out)
print(f"Airflow UI user {user!r}, password {note}")
PY

# Migrates once and creates the one-slot writer pool, like `make run`.
"$BIN/python" -m dwh.airflow_env prepare >/dev/null

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap cleanup EXIT INT TERM

"$BIN/airflow" api-server --host 127.0.0.1 --port "$PORT" & pids+=($!)
# The log server would listen on every interface; the API server reads the local log files anyway.
"$BIN/airflow" scheduler --skip-serve-logs & pids+=($!)
"$BIN/airflow" dag-processor & pids+=($!)
# The triggerer resumes deferred tasks (none of this project's defer today; a deployment's sensors may).
"$BIN/airflow" triggerer --skip-serve-logs & pids+=($!)
echo "Airflow UI on http://127.0.0.1:$PORT (Ctrl-C stops it)"
# One component dying takes the others down rather than leaving a half-working UI.
wait -n
exit 1
