"""Ticks into PostgreSQL from their JSON text (``Tick.to_json`` keys), parsed by the server.

The daemon already holds each tick as JSON (for Redis and its journal). COPYing
that text into a one-column staging table and letting PostgreSQL's C JSON parser
build the rows (``json_populate_record``) leaves no per-row Python work: a batch
is one ``str.join``. Ticks already stored (same symbol, ts, seq) are skipped.
"""
from __future__ import annotations

from collections.abc import Sequence

import psycopg

from shared.adapters.pg_ticks import TICK_TABLE_COLUMNS

_COLS = ", ".join(TICK_TABLE_COLUMNS)
_FROM_STAGE = ", ".join(f"r.{c}" for c in TICK_TABLE_COLUMNS)


def insert_tick_json(conn: psycopg.Connection, texts: Sequence[str]) -> int:
    """Store ticks given as JSON objects (one per text, no newlines inside); returns the rows added."""
    if not texts:
        return 0
    # COPY's text format reads a backslash as an escape: double them (JSON escapes keep their meaning)
    blob = "\n".join(texts).replace("\\", "\\\\") + "\n"
    with conn.transaction():
        conn.execute("CREATE TEMP TABLE _stage_tick_json (doc json) ON COMMIT DROP")
        with conn.cursor() as cur:
            with cur.copy("COPY _stage_tick_json (doc) FROM STDIN") as copy:
                copy.write(blob)
            cur.execute(f"INSERT INTO ticks ({_COLS}) SELECT {_FROM_STAGE} FROM _stage_tick_json s, "
                        f"json_populate_record(NULL::ticks, s.doc) r ON CONFLICT DO NOTHING")
            return cur.rowcount
