"""Questions about where a symbol's 1-minute bars lie, answered from the (symbol, ts) index."""
from __future__ import annotations

from datetime import date, datetime

import psycopg


def has_bars(conn: psycopg.Connection, symbol: str, first_day: date, last_day: date) -> bool:
    """True when ``symbol`` has a 1-minute bar with a trading day in ``first_day..last_day``."""
    row = conn.execute(
        "SELECT 1 FROM bars_1m WHERE symbol = %s AND trading_day BETWEEN %s AND %s LIMIT 1",
        (symbol, first_day, last_day)).fetchone()
    return row is not None


def start_of_latest(conn: psycopg.Connection, symbol: str, count: int, end: datetime | None) -> datetime | None:
    """The ts of the ``count``-th latest bar at or before ``end``; None when there are fewer bars."""
    row = conn.execute(
        "SELECT ts FROM bars_1m WHERE symbol = %(symbol)s AND (%(end)s::timestamptz IS NULL OR ts <= %(end)s)"
        " ORDER BY ts DESC OFFSET %(skip)s LIMIT 1",
        {"symbol": symbol, "end": end, "skip": count - 1}).fetchone()
    return row[0] if row else None
