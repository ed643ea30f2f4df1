"""Whether a backtest's range has any bars to run on."""
from __future__ import annotations

from datetime import date

import psycopg


def has_bars(conn: psycopg.Connection, symbol: str, first_day: date, last_day: date) -> bool:
    """True when ``symbol`` has a 1-minute bar with a trading day in ``first_day..last_day``."""
    row = conn.execute(
        "SELECT 1 FROM bars_1m WHERE symbol = %s AND trading_day BETWEEN %s AND %s LIMIT 1",
        (symbol, first_day, last_day)).fetchone()
    return row is not None
