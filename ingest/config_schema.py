"""The schema of a sources file: what each kind of source may say, checked before anything runs.

A typo in the sources file used to surface hours later (a `base_url: 12` as a request to "12/...",
a `requests_per_second: -5` as no rate limit at all, an `assests:` key as a venue asked for nothing).
Every block is now validated when the file is read (`ingest.config.load_sources`, the DAG at parse
time, `dwh run`), and each problem is one line naming the file, the source and the key:

    config/sources.yml: sources.bitmex.rate_limit.requests_per_second: must be > 0, got -5

The schema accepts exactly the keys the code reads (`SourceConfig` fields, `source.extra.get(..)`,
`source.url(..)`): a key nobody reads is refused rather than ignored, so a misspelt key cannot
silently fall back to a default. Adding a key means adding it here, where the code reading it is named.
"""
from __future__ import annotations

import math
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ingest.venues import AGGREGATORS

# The assets the warehouse models: the venue modules' symbol maps (e.g. ingest/venues/bitmex/api.py PERPS)
# and the marts' accepted_values tests (dbt_project/models/marts/*/_*.yml) know these two. Another asset
# needs its symbols in every venue module first; until then it is refused here, not fetched half-way.
ASSETS = ("BTC", "ETH")
CHAINS = ("bitcoin", "ethereum", "tron")  # ingest/onchain/registry.py: the registry's chains
LIQUIDATION_CHANNELS = ("rest", "websocket")  # ingest/stream/cli.py, the liquidation marts

KINDS = ("venue", "aggregator", "onchain")
# The packages of ingest.venues.MODULES that are reference aggregators (corroborate, never summed): the
# registry's AGGREGATORS; every other package under ingest.venues is a venue, every module under
# ingest.onchain an on-chain provider.
AGGREGATOR_MODULES = set(AGGREGATORS.values())

# Keys only one module reads, with the module that reads them: on another source they would be ignored.
MODULE_KEYS: dict[str, set[str]] = {
    "options_base_url": {"ingest.venues.binance"},      # binance/markets.py: the eapi host
    "history_base_url": {"ingest.venues.deribit"},      # deribit/trades.py: trades older than 24 h
    "venues": {"ingest.venues.coinalyze"},              # coinalyze/: exchanges to ask for
    "liquidation_venues": {"ingest.venues.coinglass"},  # coinglass/: exchange_list of its sums
    "plan": {"ingest.venues.coinglass"},                # coinglass/: the key's plan (intervals it serves)
    "funding_interval": {"ingest.venues.coinglass"},    # coinglass.py: the funding candle asked for
    "max_tx_pages": {"ingest.onchain.mempool_space", "ingest.onchain.blockstream"},  # esplora.py
    "batch_size": {"ingest.onchain.eth_rpc"},           # eth_rpc.py: calls per JSON-RPC batch
    "penalty_seconds": {"ingest.onchain.trongrid"},     # trongrid.py: TronGrid's 403 suspension
}


def _url(schemes: tuple[str, ...]):
    schemes_text = {"http": "an http(s)", "ws": "a ws(s)"}[schemes[0]]

    def check(value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.hostname:
            raise ValueError(f"must be {schemes_text} URL with a host, got {value!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"must be a base URL without query or fragment, got {value!r}")
        return value.rstrip("/")
    return AfterValidator(check)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value!r}")
    return value


HttpUrl = Annotated[str, _url(("http", "https"))]
WsUrl = Annotated[str, _url(("ws", "wss"))]
Name = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    # strict: YAML's `enabled: "no"` or `requests_per_second: "5"` is a mistake to report, not to coerce
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RateLimit(_Strict):
    # ingest/http.py RateLimiter: the spacing between requests is 1 / requests_per_second
    requests_per_second: Annotated[float, Field(gt=0), AfterValidator(_finite)]


class _Source(_Strict):
    enabled: bool = True
    kind: Literal[KINDS] = "venue"  # type: ignore[valid-type]
    base_url: HttpUrl
    rate_limit: RateLimit = RateLimit(requests_per_second=5)
    # the key: an env var name and the header it travels in (ingest/run.py client_for, missing_key_reason)
    api_key_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    api_key_header: Annotated[str, Field(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")] | None = None


class VenueSource(_Source):
    assets: Annotated[list[Literal[ASSETS]], Field(min_length=1)]  # type: ignore[valid-type]
    ws_url: WsUrl | None = None  # ingest/stream: the websocket collector
    # ingest/stream/protocols.py silence_for: no message for this long is a deaf connection (0 or null: no alarm)
    ws_silence_alarm_seconds: Annotated[float, Field(ge=0), AfterValidator(_finite)] | None = None
    liquidations: list[Literal[LIQUIDATION_CHANNELS]] | None = None  # type: ignore[valid-type]
    options_base_url: HttpUrl | None = None
    history_base_url: HttpUrl | None = None


class AggregatorSource(_Source):
    assets: Annotated[list[Literal[ASSETS]], Field(min_length=1)]  # type: ignore[valid-type]
    venues: list[Name] | None = None
    liquidation_venues: list[Name] | None = None
    # coinglass.py PLAN_FINEST / INTERVALS: whether the plan serves the interval is checked there, with the plan named
    plan: Literal["hobbyist", "startup", "standard", "professional", "enterprise"] | None = None
    funding_interval: Literal["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d",
                              "1w"] | None = None


class OnchainSource(_Source):
    chain: Literal[CHAINS]  # type: ignore[valid-type]
    entities: list[Name] | None = None  # ingest/onchain/registry.py: narrows the registry
    registry: Name | None = None  # another registry CSV (relative to the project root)
    concurrency: Annotated[int, Field(ge=1, le=64)] | None = None  # ingest/onchain/_pool.py threads
    max_tx_pages: Annotated[int, Field(ge=1)] | None = None
    batch_size: Annotated[int, Field(ge=1, le=1000)] | None = None
    penalty_seconds: Annotated[float, Field(ge=0)] | None = None


MODELS: dict[str, type[_Source]] = {"venue": VenueSource, "aggregator": AggregatorSource, "onchain": OnchainSource}


def module_kind(module_path: str) -> str:
    if module_path.startswith("ingest.onchain."):
        return "onchain"
    return "aggregator" if module_path in AGGREGATOR_MODULES else "venue"


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _message(error: dict[str, Any], kind: str) -> str:
    """pydantic's error as a sentence about the sources file."""
    kind_of, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind_of == "missing":
        return "required"
    if kind_of == "extra_forbidden":
        model = RateLimit if error["loc"][0] == "rate_limit" else MODELS[kind]
        where = "in rate_limit" if model is RateLimit else f"for {_article(kind)} source"
        return f"unknown key {where} (known: {', '.join(sorted(model.model_fields))})"
    if kind_of in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op, bound = {"greater_than": (">", "gt"), "greater_than_equal": (">=", "ge"),
                     "less_than": ("<", "lt"), "less_than_equal": ("<=", "le")}[kind_of]
        limit = ctx.get(bound)
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        return f"must be {op} {limit}, got {_describe(value)}"
    if kind_of == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {_describe(value)}"
    if kind_of == "too_short":
        return f"must not be empty, got {_describe(value)}"
    if kind_of == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}, got {_describe(value)}"
    if kind_of == "value_error":
        return str(ctx.get("error") or error["msg"])
    if kind_of.endswith("_type") or kind_of.endswith("_parsing"):
        wanted = {"string_type": "a string", "bool_type": "true or false", "int_type": "an integer",
                  "float_type": "a number", "list_type": "a list", "dict_type": "a mapping",
                  "model_type": "a mapping", "model_attributes_type": "a mapping"}.get(kind_of, kind_of)
        return f"must be {wanted}, got {type(value).__name__} {_describe(value)}"
    return f"{error['msg']}, got {_describe(value)}"


def validate_sources(doc: Any, modules: dict[str, str]) -> tuple[dict[str, _Source], list[str]]:
    """Every source block of a parsed sources file against the schema.

    Returns the valid blocks and the problems, each `sources.<source>.<key>: <what is wrong>` (the
    caller puts the file in front). `modules` is ingest.venues.MODULES: a source needs a module.
    """
    problems: list[str] = []
    if not isinstance(doc, dict):
        return {}, [f"must be a mapping with a 'sources:' key, got {type(doc).__name__}"]
    unknown_top = sorted(set(doc) - {"sources"})
    problems += [f"{key}: unknown top-level key (only 'sources')" for key in unknown_top]
    raw = doc.get("sources")
    if not isinstance(raw, dict) or not raw:
        return {}, problems + ["sources: expected a non-empty mapping of source name -> block"]
    valid: dict[str, _Source] = {}
    for name, block in raw.items():
        where = f"sources.{name}"
        if not isinstance(name, str) or name != name.lower():
            problems.append(f"{where}: source keys are lower-case names, got {name!r}")
            continue
        if name not in modules:
            problems.append(f"{where}: unknown source (no ingest module; known: {', '.join(sorted(modules))})")
            continue
        if not isinstance(block, dict):
            problems.append(f"{where}: must be a mapping, got {type(block).__name__} {_describe(block)}")
            continue
        expected = module_kind(modules[name])
        kind = block.get("kind", expected)  # a block without `kind:` is what its module is
        if kind not in MODELS:
            problems.append(f"{where}.kind: must be one of {', '.join(KINDS)}, got {_describe(kind)}")
            continue
        if kind != expected:
            problems.append(f"{where}.kind: {modules[name]} is {_article(expected)} module, got {kind!r}")
            continue
        block_problems = []
        foreign = {key for key in block if key in MODULE_KEYS and modules[name] not in MODULE_KEYS[key]}
        for key in sorted(foreign):
            block_problems.append(f"{where}.{key}: not read for this source "
                                  f"(only by {', '.join(sorted(MODULE_KEYS[key]))})")
        try:  # a foreign key said once, above, not again as unknown to the kind
            model = MODELS[kind].model_validate({**{k: v for k, v in block.items() if k not in foreign}, "kind": kind})
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                path = ".".join(str(p) for p in error["loc"] if not str(p).startswith("function-"))
                block_problems.append(f"{where}.{path}: {_message(error, kind)}")
        else:
            if not block_problems:
                valid[name] = model
        problems += block_problems
    return valid, problems
