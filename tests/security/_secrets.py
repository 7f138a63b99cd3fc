"""A focused, offline secret scanner: the credential shapes this project could leak, and an allowlist.

It reads the files git would commit (tracked, plus untracked ones not ignored); `git ls-files` only
lists, it changes nothing. A finding is (path, line, rule, the matched text); the allowlist names
what is known and harmless, with the reason.
"""
from __future__ import annotations

import math
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

RULES: dict[str, re.Pattern[str]] = {
    "aws access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key block": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    "github token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "google api key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    "json web token": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "credentials in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"<>{}$]+:[^/\s:@'\"<>{}$]+@"),
    # `api_key = "..."`, `"secret": "..."`, `PASSWORD=...`: only high-entropy values (see looks_random)
    "assigned secret": re.compile(
        r"(?i)(?:api[_-]?key|secret|token|passw(?:or)?d|passphrase|private[_-]?key)[\w-]*['\"]?\s*[:=]\s*"
        r"['\"]?([A-Za-z0-9+/=_\-.]{20,})"),
}
SKIP_SUFFIXES = {".duckdb", ".gz", ".parquet", ".png", ".jpg", ".ico", ".pdf", ".whl", ".lock"}
MAX_BYTES = 2_000_000
ALLOWLIST = Path(__file__).with_name("secrets_allowlist.yml")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str
    text: str


def entropy(s: str) -> float:
    counts = Counter(s)
    return -sum(n / len(s) * math.log2(n / len(s)) for n in counts.values())


def looks_random(value: str) -> bool:
    """A credential, not a word, a name or a placeholder: long, mixed and high-entropy."""
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d"))
    return len(value) >= 20 and classes >= 2 and entropy(value) >= 3.5


def files_to_scan(root: Path) -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                            capture_output=True, check=True).stdout.decode().split("\0")
    out = []
    for name in sorted(set(filter(None, listed))):
        path = root / name
        if path.suffix in SKIP_SUFFIXES or not path.is_file() or path.stat().st_size > MAX_BYTES:
            continue
        out.append(path)
    return out


def scan_text(path: str, text: str) -> list[Finding]:
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        for rule, pattern in RULES.items():
            for m in pattern.finditer(line):
                value = m.group(1) if pattern.groups else m.group(0)
                if rule == "assigned secret" and not looks_random(value):
                    continue
                found.append(Finding(path, n, rule, m.group(0)[:120]))
    return found


def scan(root: Path) -> list[Finding]:
    findings = []
    for path in files_to_scan(root):
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        findings += scan_text(str(path.relative_to(root)), data.decode("utf-8", errors="replace"))
    return findings


def allowed(f: Finding, allowlist: list[dict]) -> bool:
    return any(a["path"] == f.path and a["rule"] == f.rule and a["match"] in f.text for a in allowlist)


def load_allowlist() -> list[dict]:
    entries = yaml.safe_load(ALLOWLIST.read_text()) or [] if ALLOWLIST.exists() else []
    for e in entries:
        missing = {"path", "rule", "match", "reason"} - set(e)
        if missing:
            raise ValueError(f"{ALLOWLIST.name}: entry {e} lacks {sorted(missing)}")
    return entries
