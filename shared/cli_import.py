"""``quantcloud import bars|ticks FILE``: the argparse part, kept out of ``shared/cli.py``."""
from __future__ import annotations

import argparse
import csv
import sys
import time

from shared.errors import InvalidInput


def add_import_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    imp = sub.add_parser("import", help="load a bar or tick CSV (.csv or .csv.gz) into PostgreSQL")
    imp.add_argument("kind", choices=("bars", "ticks"),
                     help="bars: 1-minute bars (our layout, or vn.py's DataManager export with --symbol-exchange); "
                          "ticks: CTP DepthMarketData columns or vn.py TickData columns")
    imp.add_argument("file", help="path to the CSV file")
    imp.add_argument("--symbol-exchange", default=None, metavar="SYMBOL.EXCHANGE",
                     help="bars only: use this symbol and exchange for every row, e.g. cu_main.SHFE")
    imp.add_argument("--batch-rows", type=int, default=20_000, help="rows per COPY batch")
    imp.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    imp.add_argument("--database-url", default=None, help="default: QC_DATABASE_URL")


def run_import(args: argparse.Namespace, database_url: str) -> int:
    from shared.adapters.csv_import import import_bars, import_ticks, parse_symbol_exchange
    from shared.adapters.db import connect

    started = time.perf_counter()
    try:
        with connect(database_url) as conn:
            if args.kind == "bars":
                fixed = parse_symbol_exchange(args.symbol_exchange) if args.symbol_exchange else None
                report = import_bars(conn, args.file, symbol_exchange=fixed, progress=not args.no_progress,
                                     batch_rows=args.batch_rows)
            else:
                if args.symbol_exchange:
                    raise InvalidInput("--symbol-exchange applies to bars only: tick files carry InstrumentID "
                                       "and ExchangeID")
                report = import_ticks(conn, args.file, progress=not args.no_progress, batch_rows=args.batch_rows)
    except (InvalidInput, OSError) as exc:  # gzip.BadGzipFile is an OSError
        print(f"quantcloud import: {exc}", file=sys.stderr)
        return 2
    except (UnicodeDecodeError, EOFError, csv.Error) as exc:
        # rows read before the bad bytes are stored (a second import adds nothing twice)
        print(f"quantcloud import: {args.file} is not a readable CSV (UTF-8 text, plain or gzipped): {exc}",
              file=sys.stderr)
        return 2
    print(report.summary())
    print(f"  took {time.perf_counter() - started:.1f} s")
    return 0
