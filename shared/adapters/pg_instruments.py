"""The instruments table: create an instrument the first time data for it arrives."""
from __future__ import annotations

import psycopg

from shared.domain.instruments import Exchange, product_of, spec_of


def ensure_instrument(conn: psycopg.Connection, symbol: str, exchange: Exchange | str) -> bool:
    """Create ``symbol`` with its product, multiplier and price tick if missing; True when created."""
    spec = spec_of(symbol)
    cur = conn.execute(
        "INSERT INTO instruments (symbol, exchange, product, multiplier, price_tick) VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (symbol) DO NOTHING",
        (symbol, str(exchange), product_of(symbol), spec.multiplier, spec.price_tick),
    )
    return cur.rowcount == 1


def has_instrument(conn: psycopg.Connection, symbol: str) -> bool:
    """Whether ``symbol`` is in the instruments table."""
    return conn.execute("SELECT 1 FROM instruments WHERE symbol = %s", (symbol,)).fetchone() is not None
