"""Apply the SQL migrations in ``migrations/`` once each, in name order.

One set of migrations serves the tests, ``make demo`` and the deployed
database. Each file runs in its own transaction together with its row in
``schema_migrations``, so a failed migration leaves nothing half-applied.
"""
from __future__ import annotations

from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def pending(conn: psycopg.Connection) -> list[Path]:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
    done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    return [p for p in sorted(MIGRATIONS_DIR.glob("*.sql")) if p.name not in done]


def migrate(database_url: str) -> list[str]:
    """Apply what is missing; return the names applied (empty on a second run)."""
    applied = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        # one migrator at a time (parallel test workers, a deploy racing a demo)
        conn.execute("SELECT pg_advisory_lock(74241)")
        try:
            for path in pending(conn):
                with conn.transaction():
                    conn.execute(path.read_text())
                    conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (path.name,))
                applied.append(path.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(74241)")
    return applied
