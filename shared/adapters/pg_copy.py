"""Bulk insert that skips rows already present: COPY into a temp table, then INSERT ... ON CONFLICT DO NOTHING.

COPY is what makes a 124k-row import take seconds; the staging table lets the
primary key decide what is new, so importing the same data twice adds nothing.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql


def copy_insert(conn: psycopg.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table``; returns how many were new."""
    stage = sql.Identifier(f"_stage_{table}")
    target = sql.Identifier(table)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    with conn.transaction():
        conn.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(stage))
        conn.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(stage, target))
        with conn.cursor() as cur:
            with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(stage, cols)) as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT DO NOTHING").format(
                target, cols, cols, stage))
            added = cur.rowcount
        conn.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(stage))
    return added
