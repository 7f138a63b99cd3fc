"""Hyperliquid market datasets: the perpetuals' asset contexts (open interest, mark, oracle price).

metaAndAssetCtxs answers `[meta, contexts]`: the contexts carry no coin name (they follow the order of
`meta.universe`) and no time. The loader keeps the two parts as two records of one response and
staging zips them by position. The observation time comes from l2Book, which carries the
venue's clock and is asked for right before, in the same run.
"""
from __future__ import annotations

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._paging import require_list
from ingest.venues.hyperliquid.api import SOURCE


def fetch_asset_contexts(ctx: FetchContext) -> None:
    body = require_list(SOURCE, ctx.client.post_json("/info", {"type": "metaAndAssetCtxs"}), "metaAndAssetCtxs")
    if len(body) != 2 or not isinstance(body[0], dict) or not isinstance(body[1], list):
        raise SourceError(f"{SOURCE}: metaAndAssetCtxs is not [meta, contexts]")
    names = [u.get("name") for u in body[0].get("universe") or [] if isinstance(u, dict)]
    if len(names) != len(body[1]):
        raise SourceError(f"{SOURCE}: {len(names)} universe entries but {len(body[1])} asset contexts")
    missing = [a for a in ctx.source.assets if a not in names]
    if missing:
        raise SourceError(f"{SOURCE}: assets {missing} not in the perpetual universe")


def fetch_book_times(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        book = ctx.client.post_json("/info", {"type": "l2Book", "coin": asset})
        if not isinstance(book, dict) or not isinstance(book.get("time"), int):
            raise SourceError(f"{SOURCE}: l2Book {asset} answered without a time")


DATASETS = [
    Dataset(
        name="book_times",
        records="$",
        fields=(
            Field("coin", "$.coin"),
            Field("time_ms", "$.time", "BIGINT"),
            Field("run_id", "env:$.run_id"),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("coin", "run_id"),
        fetch=fetch_book_times,
        description="The venue's clock (l2Book time) at the run, to date the asset context snapshot",
    ),
    Dataset(
        name="asset_contexts",
        records="$",
        fields=(
            # the meta record has a universe; the contexts record is the bare array and has neither
            # field, so its key is the run alone and the meta record's is run|first coin
            Field("universe", "$.universe", "JSON", required=False),
            Field("first_coin", "$.universe[0].name", required=False),
            Field("run_id", "env:$.run_id"),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("run_id", "first_coin"),
        fetch=fetch_asset_contexts,
        description="metaAndAssetCtxs as of the run: two records per answer, the universe and the contexts",
    ),
]
