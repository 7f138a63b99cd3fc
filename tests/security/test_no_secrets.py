"""No credential in the files git would commit (offline; tests/security/_secrets.py)."""
from __future__ import annotations

import base64

import pytest

from tests.conftest import PROJECT
from tests.security._secrets import allowed, files_to_scan, load_allowlist, looks_random, scan, scan_text


def test_the_tree_holds_no_secret():
    allowlist = load_allowlist()
    findings = [f for f in scan(PROJECT) if not allowed(f, allowlist)]
    assert not findings, "secrets in the tree (move them to env vars, or allowlist with a reason):\n" + \
        "\n".join(f"{f.path}:{f.line} {f.rule}: {f.text}" for f in findings)


def test_the_scan_reads_the_tree():
    names = {p.relative_to(PROJECT).as_posix() for p in files_to_scan(PROJECT)}
    assert {"ingest/http.py", "config/sources.yml", "Makefile"} <= names
    assert not any(n.startswith((".venv/", "data/")) for n in names), "ignored paths are not scanned"


# Fakes are assembled at run time so this file does not itself hold anything the scanner flags.
FAKES = {
    "aws access key id": "AKIA" + "QX7Z3N5W2PL4R6TB",
    "private key block": "-----BEGIN " + "RSA PRIVATE KEY-----",
    "github token": "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5",
    "credentials in a URL": "postgresql://airflow:" + "hunter2hunter2@db:5432/airflow",
    "assigned secret": 'COINGLASS_API_KEY = "' + base64.b64encode(b"\x8f\x13 not a real key \xa7\x02").decode() + '"',
}


@pytest.mark.parametrize("rule", sorted(FAKES))
def test_the_scanner_catches(rule):
    found = scan_text("fake.py", f"x = 1\n{FAKES[rule]}\n")
    assert [f.rule for f in found] == [rule] and found[0].line == 2


@pytest.mark.parametrize("text", [
    "api_key_env: COINALYZE_API_KEY",
    'headers["CG-API-KEY"] = key',
    "password: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}",
    'token = "sandbox-placeholder-key"',
    "postgresql+psycopg2://airflow:${POSTGRES_PASSWORD}@postgres:5432/airflow",
])
def test_names_and_placeholders_are_not_secrets(text):
    assert scan_text("config.yml", text) == []


def test_randomness_threshold():
    assert looks_random("Zk3pQ9xW2mN7vB4tL8rY6hJ1")
    assert not looks_random("sandbox-placeholder-key-value")
