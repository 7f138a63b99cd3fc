"""python -m sandbox [serve] [--host 127.0.0.1] [--port 8765] [--seed 7] [--clock ISO]
    [--fault venue:kind[:count[:path]]]... [--rate-limit-scale 1.0]
python -m sandbox demo [--start D] [--end D] [--port N]       the demo (sandbox.harness.demo, `make demo`)
python -m sandbox backfill --url URL <dwh backfill options>  `dwh backfill` steering the sandbox's clock

serve prints "sandbox listening on http://HOST:PORT" once it accepts connections; stops cleanly on SIGTERM/SIGINT.
"""
from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from aiohttp import web

from sandbox.faults import FaultError

HARNESS_COMMANDS = ("demo", "backfill")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m sandbox", description="Local exchange sandbox (simulated venues).",
                                epilog="harness commands: python -m sandbox demo --help, "
                                       "python -m sandbox backfill --help")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--clock", default=None, help="simulated now, ISO 8601 (default 2026-11-27T00:30:00Z)")
    p.add_argument("--fault", action="append", default=[], metavar="VENUE:KIND[:COUNT[:PATH]]",
                   help="install a fault at start (repeatable), e.g. okx:http_500 or bybit:http_429:-1")
    p.add_argument("--rate-limit-scale", type=float, default=1.0, help="multiplies per-venue limits; <= 0 disables")
    p.add_argument("--documented-rate-limits", action="store_true",
                   help="limit each venue to its documented rate (each venue's contract.yml) instead of the local one")
    return p.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    from sandbox.server import build_app

    app = build_app(seed=args.seed, clock=args.clock, faults=args.fault, rate_limit_scale=args.rate_limit_scale,
                    documented_rate_limits=args.documented_rate_limits)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    await web.TCPSite(runner, args.host, args.port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"sandbox listening on http://{args.host}:{args.port}", flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def _harness_command(name: str, argv: list[str]) -> int:
    # imported on demand: they pull in the warehouse (dwh, dbt), which serving the venues never needs
    if name == "demo":
        from sandbox.harness import demo

        return demo.main(argv)
    from sandbox.harness import backfill

    return backfill.main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in HARNESS_COMMANDS:
        return _harness_command(argv[0], argv[1:])
    args = parse_args(argv[1:] if argv and argv[0] == "serve" else argv)
    try:
        asyncio.run(serve(args))
    except FaultError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
