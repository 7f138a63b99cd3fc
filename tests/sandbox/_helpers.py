"""Helpers shared by the sandbox tests (kept out of conftest so tests can import them)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sandbox.market import MS_DAY, day_start_ms

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = PROJECT_ROOT / "tests" / "fixtures"  # vendored: present in every clone
DAY = dt.date(2026, 11, 26)
DAY_START = day_start_ms(DAY)
DAY_END = DAY_START + MS_DAY  # exclusive


def load_sample(samples: Path, relative: str):
    # vendored in the repository: a missing file is a broken checkout, not a reason to skip
    return json.loads((samples / relative).read_text())


def json_kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def assert_like(ours: dict, sample: dict, *, exact: bool = False, where: str = "") -> None:
    """Every field of the sample is present with the same JSON type (null in the sample: any type)."""
    missing = [k for k in sample if k not in ours]
    assert not missing, f"{where}: fields missing {missing}"
    for k, v in sample.items():
        if v is not None:
            assert json_kind(ours[k]) == json_kind(v), f"{where}.{k}: {ours[k]!r} vs sample {v!r}"
    if exact:
        extra = [k for k in ours if k not in sample]
        assert not extra, f"{where}: unexpected fields {extra}"
