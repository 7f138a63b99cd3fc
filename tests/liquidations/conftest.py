"""One dbt target directory for the session, so dbt's partial parse is reused between builds."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def dbt_target(tmp_path_factory):
    return tmp_path_factory.mktemp("dbt_target")
