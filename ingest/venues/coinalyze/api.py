"""What every Coinalyze dataset shares: the source key and its reference listings."""
from __future__ import annotations

from typing import Any

from ingest.spec import FetchContext
from ingest.venues._history import require_points
from ingest.venues._paging import require_list

SOURCE = "coinalyze"


def listing(ctx: FetchContext, path: str) -> list[Any]:
    """A reference listing (exchanges, markets) is never empty: an empty one is an outage, and landing it
    would read as a day on which nothing was listed."""
    items = require_list(SOURCE, ctx.client.get_json(path), path)
    require_points(SOURCE, path, len(items))
    return items
