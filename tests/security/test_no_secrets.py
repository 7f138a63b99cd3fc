"""No credential in the files git would commit: detect-secrets over the tree, against `.secrets.baseline`.

The baseline holds detect-secrets' settings (its plugins, less the two generic high-entropy ones: every
on-chain address and transaction hash here is high-entropy by nature; plus tests/security/secret_rules.py)
and the findings reviewed as harmless (header names such as `api_key`, test placeholders). A finding not in
it fails the test. After reviewing one, from the repository root:

    detect-secrets scan --baseline .secrets.baseline && detect-secrets audit .secrets.baseline
"""
from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from detect_secrets import SecretsCollection
from detect_secrets.settings import transient_settings

from tests.conftest import PROJECT

BASELINE = PROJECT / ".secrets.baseline"
MAX_BYTES = 2_000_000  # generated data, not hand-written config


def baseline() -> dict[str, Any]:
    doc = json.loads(BASELINE.read_text())
    for entry in doc["plugins_used"] + doc["filters_used"]:  # the CLI resolves file:// against the cwd; the test may not run at the root
        if entry.get("path", "").startswith("file://") and not entry["path"].startswith("file:///"):
            entry["path"] = "file://" + str(PROJECT / entry["path"][len("file://"):])
    return doc


def files_to_scan(root: Path) -> list[str]:
    """What git would commit: tracked files and untracked ones not ignored (`git ls-files` only lists)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                            capture_output=True, check=True).stdout.decode().split("\0")
    return sorted(name for name in set(filter(None, listed))
                  if (root / name).is_file() and (root / name).stat().st_size <= MAX_BYTES)


def scan(root: Path, names: list[str], processes: int = 1) -> SecretsCollection:
    doc = baseline()
    with transient_settings({"plugins_used": doc["plugins_used"], "filters_used": doc["filters_used"]}):
        found = SecretsCollection(root=str(root))
        found.scan_files(*names, num_processors=processes)
    return found


def new_findings(root: Path) -> list[tuple[str, Any]]:
    """Findings in the files under `root` that the baseline does not hold."""
    # compared as (path, type, hash): given a root, detect-secrets keeps absolute file names, the baseline relative
    known = {(name, s.type, s.secret_hash) for name, s in SecretsCollection.load_from_baseline(baseline())}
    found = scan(root, files_to_scan(root), processes=2)
    return sorted(((name, s) for name, s in found if (name, s.type, s.secret_hash) not in known),
                  key=lambda f: (f[0], f[1].line_number))


@pytest.mark.slow  # detect-secrets over every file of the tree: about 30 s
def test_the_tree_holds_no_new_secret():
    new = new_findings(PROJECT)
    assert not new, "secrets in the tree (move them to env vars, or review them into .secrets.baseline):\n" + \
        "\n".join(f"{name}:{s.line_number} {s.type}" for name, s in new)


def test_a_new_finding_fails_and_ignored_files_are_not_read(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("data/\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dump.env").write_text(f"AWS_ACCESS_KEY_ID={FAKES['AWS Access Key']}\n")
    (tmp_path / "deploy.env").write_text(f"# staging\nAWS_ACCESS_KEY_ID={FAKES['AWS Access Key']}\n")
    (tmp_path / "config").mkdir()  # a finding the baseline holds, at its path, is known
    (tmp_path / "config" / "sources.yml").write_text((PROJECT / "config" / "sources.yml").read_text())
    new = new_findings(tmp_path)  # untracked, as a file not yet committed is
    assert [(name, s.type, s.line_number) for name, s in new] == [("deploy.env", "AWS Access Key", 2)]


def test_the_scan_reads_the_tree():
    names = set(files_to_scan(PROJECT))
    assert {"ingest/http.py", "config/sources.yml", "Makefile"} <= names
    assert not any(n.startswith((".venv/", "data/")) for n in names), "ignored paths are not scanned"


# Fakes are assembled at run time so this file does not itself hold anything the scanner flags.
FAKES = {
    "AWS Access Key": "AKIA" + "QX7Z3N5W2PL4R6TB",
    "Private Key": "-----BEGIN " + "RSA PRIVATE KEY-----",
    "GitHub Token": "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5",
    "Slack Token": "xoxb-" + "1234567890-abcdefghij",
    "JSON Web Token": "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijk12345",
    "Basic Auth Credentials": "postgresql://airflow:" + "hunter2hunter2@db:5432/airflow",
    "Secret Keyword": 'COINGLASS_API_KEY = "' + base64.b64encode(b"\x8f\x13 not a real key \xa7\x02").decode() + '"',
    "Google API Key": "maps = AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",  # tests/security/secret_rules.py
}


def scan_text(tmp_path: Path, name: str, text: str) -> list[tuple[str, int]]:
    (tmp_path / name).write_text(text)
    return sorted((s.type, s.line_number) for _, s in scan(tmp_path, [name]))


@pytest.mark.parametrize("kind", sorted(FAKES))
def test_the_scanner_catches(kind, tmp_path):
    assert scan_text(tmp_path, "fake.py", f"x = 1\n{FAKES[kind]}\n") == [(kind, 2)]


@pytest.mark.parametrize("text", [
    "api_key_env: COINALYZE_API_KEY",  # an env var's name (tests/security/secret_rules.py)
    'headers["CG-API-KEY"] = key',
    "password: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}",
    'token = "sandbox-placeholder-key"',
    "postgresql+psycopg2://airflow:${POSTGRES_PASSWORD}@postgres:5432/airflow",
])
def test_names_and_placeholders_are_not_secrets(text, tmp_path):
    assert scan_text(tmp_path, "config.yml", f"{text}\n") == []
