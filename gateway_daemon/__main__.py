"""``python -m gateway_daemon --source replay --file FILE --speed N [--loop] [--symbols ...]``."""
from __future__ import annotations

import argparse
import asyncio
import sys

from gateway_daemon.logs import log
from gateway_daemon.service import ReplayOptions, run_replay
from shared.settings import get_settings

DEFAULT_FILE = "data/ticks_ctp_5_contracts_20171113.csv.gz"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gateway_daemon", description="quantcloud market-data daemon")
    parser.add_argument("--source", choices=["replay", "ctp"], default="replay")
    parser.add_argument("--file", default=DEFAULT_FILE, help="recorded CTP ticks (CSV, .gz ok)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="market seconds per wall second; a huge value replays as fast as possible")
    parser.add_argument("--loop", action="store_true", help="start over at the end of the file")
    parser.add_argument("--symbols", nargs="*", default=[], help="only these contracts (default: all)")
    parser.add_argument("--max-pause", type=float, default=1.0, dest="max_pause_s",
                        help="longest wall-clock pause for a gap in the data, e.g. between sessions (s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.source == "ctp":
        return run_ctp_source()
    options = ReplayOptions(file=args.file, speed=args.speed, loop=args.loop, symbols=args.symbols,
                            max_pause_s=args.max_pause_s)
    try:
        return asyncio.run(run_replay(options, get_settings()))
    except FileNotFoundError as exc:
        log("replay_file_missing", "error", file=str(exc.filename))
        return 2


def run_ctp_source() -> int:
    """The live daemon: checks the locale BEFORE openctp-ctp is imported (it would abort the process)."""
    from gateway_daemon.ctp.locale_guard import CtpLocaleMissing, require_ctp_locale

    try:
        require_ctp_locale()
    except CtpLocaleMissing as exc:
        log("ctp_locale_missing", "error", message=str(exc))
        return 2
    from gateway_daemon.ctp_service import run_ctp
    from shared.errors import QuantcloudError

    try:
        return asyncio.run(run_ctp(get_settings()))
    except QuantcloudError as exc:
        log("ctp_settings_invalid", "error", message=exc.message, details=exc.details)
        return 2


if __name__ == "__main__":
    sys.exit(main())
