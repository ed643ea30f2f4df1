"""Cleaned ticks into PostgreSQL (COPY, duplicates by (symbol, ts, seq) skipped)."""
from __future__ import annotations

from collections.abc import Sequence

import psycopg

from shared.adapters.pg_copy import copy_insert
from shared.adapters.pg_instruments import ensure_instrument
from shared.domain.ticks import Tick

__all__ = ["TICK_TABLE_COLUMNS", "ensure_instrument", "insert_ticks"]

TICK_TABLE_COLUMNS = ("symbol", "ts", "seq", "trading_day", "last_price", "volume", "cum_volume", "turnover",
                      "open_interest", "bid_price1", "bid_volume1", "ask_price1", "ask_volume1")


def insert_ticks(conn: psycopg.Connection, ticks: Sequence[Tick]) -> int:
    """Store ticks whose instruments exist; returns the rows added (ticks already stored are skipped)."""
    rows = ((t.symbol, t.ts, t.seq, t.trading_day, t.last_price, t.volume, t.cum_volume, t.turnover,
             t.open_interest, t.bid_price1, t.bid_volume1, t.ask_price1, t.ask_volume1) for t in ticks)
    return copy_insert(conn, "ticks", TICK_TABLE_COLUMNS, rows)
