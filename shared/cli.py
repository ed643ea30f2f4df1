"""The ``quantcloud`` command: ``quantcloud migrate``, ``quantcloud import bars|ticks FILE``."""
from __future__ import annotations

import argparse
import sys

from shared.cli_import import add_import_parser, run_import
from shared.adapters.db import database_url as resolve_database_url
from shared.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="quantcloud", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    mig = sub.add_parser("migrate", help="apply the SQL migrations that are missing")
    mig.add_argument("--database-url", default=None, help="default: QC_DATABASE_URL")
    add_import_parser(sub)
    args = parser.parse_args(argv)

    database_url = args.database_url or resolve_database_url(get_settings())
    if args.command == "migrate":
        from shared.adapters.migrate import migrate

        applied = migrate(database_url)
        print("migrations applied: " + (", ".join(applied) if applied else "none (up to date)"))
    elif args.command == "import":
        return run_import(args, database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
