"""0002_timescale.sql on plain PostgreSQL: applied, and the tables stay plain (the tests' server has no TimescaleDB)."""
from __future__ import annotations

import psycopg

from shared.adapters.migrate import MIGRATIONS_DIR


def test_timescale_migration_is_a_no_op_without_the_extension(db: psycopg.Connection) -> None:
    assert db.execute("SELECT 1 FROM schema_migrations WHERE name = '0002_timescale.sql'").fetchone() == (1,)
    available = db.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone()
    if available is None:
        assert db.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone() is None
        assert db.execute("SELECT to_regclass('bars_5m'), to_regclass('bars_1d')").fetchone() == (None, None)
    # running it again (a second migrate on a database restored from a dump) changes nothing either
    db.execute((MIGRATIONS_DIR / "0002_timescale.sql").read_text())


def test_every_timescale_call_is_behind_the_availability_check() -> None:
    text = (MIGRATIONS_DIR / "0002_timescale.sql").read_text()
    guard = text.index("pg_available_extensions")
    for call in ("CREATE EXTENSION", "create_hypertable", "add_compression_policy", "add_retention_policy",
                 "timescaledb.continuous", "add_continuous_aggregate_policy"):
        assert text.index(call) > guard, call
