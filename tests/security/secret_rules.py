"""What this project adds to detect-secrets' own plugins and filters (named in .secrets.baseline).

- `GoogleApiKeyDetector`: detect-secrets 1.5 has no rule for Google API keys (`AIza` + 35 characters),
  which the scan it replaced caught; a key for a BI map tile or a Sheets export is the likely one here.
- `is_env_var_name`: `api_key_env: COINALYZE_API_KEY` in a YAML file names the variable that holds the
  key; detect-secrets' keyword rule takes any YAML value after a secret-sounding key for the secret.
"""
from __future__ import annotations

import re

from detect_secrets.plugins.base import RegexBasedDetector

_ENV_VAR_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


class GoogleApiKeyDetector(RegexBasedDetector):
    """Google API key."""

    secret_type = "Google API Key"
    denylist = (re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),)


def is_env_var_name(secret: str) -> bool:
    """An UPPER_SNAKE name is a reference to an environment variable, not its value."""
    return bool(_ENV_VAR_NAME.fullmatch(secret))
