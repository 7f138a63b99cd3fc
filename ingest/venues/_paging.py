"""Small helpers the venue modules share: envelope checks and symbol maps."""
from __future__ import annotations

from typing import Any

from ingest.http import SourceError


def check_envelope(source: str, body: Any, *, code_key: str, ok: Any, msg_key: str) -> Any:
    """Raise SourceError when a venue answers 200 with an error code inside its envelope."""
    if not isinstance(body, dict):
        raise SourceError(f"{source}: expected an object envelope, got {type(body).__name__}")
    code = body.get(code_key)
    if code != ok:
        raise SourceError(f"{source}: error {code_key}={code!r}: {body.get(msg_key)!r}")
    return body


def require_list(source: str, value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise SourceError(f"{source}: expected a list at {where}, got {type(value).__name__}")
    return value
