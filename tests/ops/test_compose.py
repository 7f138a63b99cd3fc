"""docker-compose.yaml: valid against the Compose specification, and the deployment's invariants hold.

There is no Docker engine in CI, so the file is checked statically: the schema is the one
check-jsonschema vendors from the compose-spec project, and interpolation is re-implemented here
(the subset of the Compose syntax the file uses) to prove that missing secrets stop compose.
"""
from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"

AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                    "airflow-worker", "airflow-init"}
REQUIRED_SERVICES = AIRFLOW_SERVICES | {"postgres", "redis", "liquidation-collector"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY\b|PASSWD")
# ${NAME}, ${NAME:-x}, ${NAME-x}, ${NAME:?x}, ${NAME?x}, ${NAME:+x}, ${NAME+x}, $NAME; $$ is a literal $.
INTERPOLATION = re.compile(r"\$(?:(?P<esc>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
                           r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")

URL_PASSWORD = re.compile(r"[a-z][a-z0-9+]*://[^:/@\s]*:(?P<password>\$\{[^}]*\}|[^@/\s]*)@")


class MissingVariable(KeyError):
    pass


def interpolate(value, env: dict[str, str]):
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(m: re.Match) -> str:
        if m.group("esc"):
            return "$"
        name = m.group("braced") or m.group("bare")
        op, arg = m.group("op"), m.group("arg") or ""
        present = name in env
        usable = present and (env[name] != "" or not (op or "").startswith(":"))
        if op in (":?", "?"):
            if not usable:
                raise MissingVariable(f"{name}: {arg}")
            return env[name]
        if op in (":-", "-"):
            return env[name] if usable else arg
        if op in (":+", "+"):
            return arg if usable else ""
        return env.get(name, "")

    return INTERPOLATION.sub(one, value)


def strings(value):
    """Every string in the parsed file: what compose interpolates (comments are not)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, str):
        yield value


def required_variables(compose: dict) -> set[str]:
    return {m.group("braced") for text in strings(compose) for m in INTERPOLATION.finditer(text)
            if m.group("op") == ":?"}


def parse_env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


@pytest.fixture(scope="module")
def raw_text() -> str:
    return COMPOSE.read_text()


@pytest.fixture(scope="module")
def compose(raw_text) -> dict:
    # PyYAML resolves the `<<` merge keys the way Compose does.
    return yaml.safe_load(raw_text)


@pytest.fixture(scope="module")
def example_env() -> dict[str, str]:
    return parse_env_file(ENV_EXAMPLE)


@pytest.fixture(scope="module")
def resolved(compose, example_env) -> dict:
    return interpolate(compose, example_env)


@pytest.fixture(scope="module")
def schema_validator():
    schema = json.loads(resources.files("check_jsonschema.builtin_schemas.vendor")
                        .joinpath("compose-spec.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _errors(validator, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_valid_against_compose_spec(compose, resolved, schema_validator):
    assert _errors(schema_validator, compose) == []
    assert _errors(schema_validator, resolved) == []


def test_schema_is_strict_enough_to_catch_a_typo(compose, schema_validator):
    broken = json.loads(json.dumps(compose))
    broken["services"]["airflow-worker"]["comand"] = "celery worker"
    assert _errors(schema_validator, broken)


def test_all_services_present(compose):
    assert REQUIRED_SERVICES <= set(compose["services"])


def test_published_ports_bind_loopback_only(resolved):
    published = 0
    for name, svc in resolved["services"].items():
        for port in svc.get("ports", []):
            published += 1
            if isinstance(port, dict):
                assert port.get("host_ip") == "127.0.0.1", (name, port)
            else:
                assert str(port).startswith("127.0.0.1:"), (name, port)
    assert published, "the UI port should be published"
    assert any(str(p).endswith(":8080") for p in resolved["services"]["airflow-apiserver"]["ports"])


def test_secrets_have_no_default(compose):
    texts = list(strings(compose))
    refs = [m for t in texts for m in INTERPOLATION.finditer(t) if m.group("braced") or m.group("bare")]
    secret_refs = [m for m in refs if SECRET_NAME.search(m.group("braced") or m.group("bare"))]
    assert secret_refs, "expected the secrets to come from .env"
    for m in secret_refs:
        assert m.group("op") == ":?", f"secret without a mandatory `:?` form: {m.group(0)}"
    # Credentials embedded in URLs come from .env too.
    credentials = [m for t in texts for m in URL_PASSWORD.finditer(t)]
    assert credentials, "expected the metadata DB and broker URLs to carry credentials"
    for m in credentials:
        assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", m.group("password")), m.group(0)


def test_no_literal_secret_values(compose):
    for name, svc in compose["services"].items():
        env = svc.get("environment") or {}
        items = env.items() if isinstance(env, dict) else (e.partition("=")[::2] for e in env)
        for key, value in items:
            if SECRET_NAME.search(key) and not key.endswith("_FILE"):
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", str(value)), (name, key, value)


def test_missing_secrets_stop_compose(compose, example_env):
    required = sorted(required_variables(compose))
    assert {"AIRFLOW_ADMIN_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "POSTGRES_PASSWORD"} <= set(required)
    for name in required:
        env = {k: v for k, v in example_env.items() if k != name}
        with pytest.raises(MissingVariable, match=name):
            interpolate(compose, env)
        with pytest.raises(MissingVariable, match=name):
            interpolate(compose, {**env, name: ""})


def test_env_example_has_placeholders_only(compose, example_env):
    required = required_variables(compose)
    assert required <= set(example_env), required - set(example_env)
    for name in required:
        assert example_env[name].startswith("replace-with-"), (name, example_env[name])
    gitignore = (ROOT / ".gitignore").read_text().split()
    assert ".env" in gitignore


def test_celery_executor_everywhere(resolved, raw_text):
    airflow = {n: s for n, s in resolved["services"].items() if n in AIRFLOW_SERVICES or n == "flower"}
    for name, svc in airflow.items():
        env = svc["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://"), name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/", name
    assert not re.search(r"(Local|Sequential|Kubernetes)Executor", raw_text)


def test_init_creates_the_writer_pool(compose):
    dag = (ROOT / "dags" / "crypto_market_daily.py").read_text()
    pool = re.search(r'WRITER_POOL\s*=\s*"([^"]+)"', dag).group(1)
    script = "\n".join(compose["services"]["airflow-init"]["command"])
    assert re.search(rf"airflow pools set {re.escape(pool)} 1\b", script)
    assert "airflow db migrate" in script


def test_worker_is_scalable(compose):
    worker = compose["services"]["airflow-worker"]
    assert worker["command"] == "celery worker"
    # A fixed name, hostname or host port would make `--scale airflow-worker=3` collide.
    for key in ("container_name", "hostname", "ports"):
        assert key not in worker, key
    assert "deploy" not in worker or "replicas" not in worker["deploy"]


def test_data_volume_shared_at_dwh_data_dir(resolved):
    assert "dwh-data" in resolved["volumes"]
    for name in AIRFLOW_SERVICES | {"liquidation-collector"}:
        svc = resolved["services"][name]
        data_dir = svc["environment"]["DWH_DATA_DIR"]
        assert f"dwh-data:{data_dir}" in svc["volumes"], name


def test_collector_service(resolved):
    collector = resolved["services"]["liquidation-collector"]
    assert collector["command"] == ["dwh-collector"]
    assert collector["image"] == resolved["services"]["airflow-worker"]["image"]
    assert "ports" not in collector


def test_image_is_built_from_the_official_airflow_image(compose):
    for name in AIRFLOW_SERVICES | {"liquidation-collector"}:
        assert compose["services"][name]["build"]["dockerfile"] == "deploy/Dockerfile", name
    dockerfile = DOCKERFILE.read_text()
    airflow_pin = re.search(r'"apache-airflow==([0-9.]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert re.search(rf"^FROM apache/airflow:{re.escape(airflow_pin)}-python3\.11\s*$", dockerfile, re.M)
    assert "pip install --no-cache-dir -r /opt/dwh/requirements.lock" in dockerfile
    assert f"apache-airflow=={airflow_pin}" in (ROOT / "requirements.lock").read_text().split()
    # The build context is the repository root: secrets and local state must stay out of the image.
    ignored = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().split()
    assert {".env", ".venv", "data", ".git"} <= set(ignored)


def test_interpolation_helper_follows_compose_rules():
    env = {"SET": "v", "EMPTY": ""}
    assert interpolate("$${X} ${SET} $SET ${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${SET:+r} ${UNSET+r}", env) == \
        "${X} v v d d  r "
    with pytest.raises(MissingVariable):
        interpolate("${EMPTY:?no}", env)
    assert interpolate("${EMPTY?no}", env) == ""
