"""`dwh-collector`: run the websocket liquidation collector until SIGTERM (or --until).

    dwh-collector                              every enabled source with a ws_url and a protocol
    dwh-collector --sources binance,bybit      some of them
    dwh-collector --clock-start 2026-11-26T00:00:00Z --clock-rate 3600 --clock-epoch 1795000000.0
                                               a time-compressed replay clock (demo, tests: the sandbox
                                               replays with the same start, rate and epoch)

DWH_SOURCES picks the sources file and DWH_DATA_DIR the data directory, as for every other command.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from ingest.config import data_dir, load_sources
from ingest.stream.clock import ReplayClock, ScheduleClock, SystemClock, parse_iso
from ingest.stream.collector import Collector
from ingest.stream.gaps import AlreadyRunning
from ingest.venues import ws_protocols


def streaming_sources(names: list[str] | None = None, sources_file=None):
    sources = load_sources(sources_file)
    if names:
        missing = [n for n in names if n not in sources]
        if missing:
            raise SystemExit(f"dwh-collector: unknown sources {missing}")
        picked = [sources[n] for n in names]
    else:
        # a source that lists its liquidation channels (`liquidations: [rest, websocket]`) is streamed only
        # when websocket is among them; one that says nothing is streamed whenever it has a ws_url
        picked = [s for s in sources.values() if s.enabled
                  and "websocket" in (s.extra.get("liquidations") or ["websocket"])]
    return [s for s in picked if s.ws_url and s.name in ws_protocols()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="dwh-collector", description=__doc__.split("\n")[0])
    p.add_argument("--sources", help="comma-separated source keys (default: every enabled one with a ws_url)")
    p.add_argument("--clock-start", help="replay clock: the simulated time at --clock-epoch (ISO 8601)")
    p.add_argument("--clock-rate", type=float, default=1.0, help="replay clock speed (simulated s per wall s)")
    p.add_argument("--clock-epoch", type=float, help="replay clock: wall epoch (s) at which it reads --clock-start")
    p.add_argument("--clock-file", help="replay clock following a schedule file (see ingest.stream.clock.ScheduleClock)")
    p.add_argument("--progress-file", help="write the clock and per-connection message counts here (replay drivers)")
    p.add_argument("--until", help="stop by itself when the clock passes this time (ISO 8601)")
    p.add_argument("--flush-every", type=int, default=100, help="fsync after this many messages")
    p.add_argument("--flush-seconds", type=float, default=1.0, help="and at least this often (wall seconds)")
    p.add_argument("--backoff", type=float, default=0.5, help="first reconnect delay (s), doubling to --max-backoff")
    p.add_argument("--max-backoff", type=float, default=30.0)
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    names = [n.strip() for n in args.sources.split(",") if n.strip()] if args.sources else None
    sources = streaming_sources(names)
    if not sources:
        print("dwh-collector: no source with a ws_url and a known protocol", file=sys.stderr)
        return 2
    clock = SystemClock()
    if args.clock_file:
        clock = ScheduleClock(args.clock_file)
    elif args.clock_start:
        import time

        clock = ReplayClock(parse_iso(args.clock_start), args.clock_rate,
                            args.clock_epoch if args.clock_epoch is not None else time.time())
    collector = Collector(sources, data_dir(), clock=clock, until=parse_iso(args.until) if args.until else None,
                          flush_every=args.flush_every, flush_seconds=args.flush_seconds,
                          base_backoff=args.backoff, max_backoff=args.max_backoff,
                          progress_path=args.progress_file)
    print(f"dwh-collector: {', '.join(s.name for s in sources)} -> {data_dir() / 'landing'} "
          f"(run {collector.run_id})", flush=True)
    try:
        stats = asyncio.run(collector.run())
    except AlreadyRunning as exc:
        print(f"dwh-collector: {exc}", file=sys.stderr)
        return 3
    print(f"dwh-collector: stopped {stats}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
