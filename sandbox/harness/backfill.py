"""`python -m sandbox backfill --url URL <dwh backfill options>`: `dwh backfill` against a running sandbox.

The sandbox's clock is the venues' "now"; before each day D it is set to D+1 00:30 UTC, the instant the
scheduled run of D fetches, so retention-limited and snapshot-only datasets answer as they would then.
Everything else (resume, progress, Ctrl-C, the build after the range) is `dwh backfill` itself.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys

from sandbox.harness.process import SandboxHandle


def scheduled_run_at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 30), tzinfo=dt.UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox backfill",
                                     description="dwh backfill with the sandbox's clock at each day's run time; "
                                                 "other options are dwh backfill's")
    parser.add_argument("--url", required=True, help="the running sandbox, e.g. http://127.0.0.1:8765")
    args, rest = parser.parse_known_args(argv)
    handle = SandboxHandle(args.url)
    if not handle.healthy():
        print(f"python -m sandbox backfill: error: no sandbox answering at {args.url}", file=sys.stderr)
        return 2
    from dwh import cli

    return cli.main(["backfill", *rest], before_ingest=lambda day: handle.set_clock(scheduled_run_at(day)))


if __name__ == "__main__":
    sys.exit(main())
