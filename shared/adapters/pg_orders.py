"""Orders, trades, positions and accounts in PostgreSQL (the 0004 tables).

The order row is the daemon's write-ahead record: it exists, with its
FrontID/SessionID/OrderRef, before ``ReqOrderInsert`` is called, so a restart
knows what may have reached the broker and never sends it again.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from shared.domain.orders import TERMINAL, OrderRequest, OrderStatus

ORDER_COLUMNS = ("id", "idempotency_key", "user_id", "stream_id", "account", "symbol", "exchange", "direction",
                 "offset", "price_type", "limit_price", "volume", "front_id", "session_id", "order_ref",
                 "order_sys_id", "status", "volume_traded", "reason", "trading_day")
_SELECT = "SELECT " + ", ".join(f'"{c}"' for c in ORDER_COLUMNS) + " FROM orders "
_TERMINAL = sorted(str(s) for s in TERMINAL)


class OrderStore:
    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def _one(self, where: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(_SELECT + where, params).fetchone()

    def by_key(self, key: str) -> dict[str, Any] | None:
        return self._one("WHERE idempotency_key = %s", (key,))

    def by_identity(self, front_id: int, session_id: int, order_ref: str) -> dict[str, Any] | None:
        return self._one("WHERE front_id = %s AND session_id = %s AND order_ref = %s",
                         (front_id, session_id, order_ref))

    def by_sys_id(self, exchange: str, order_sys_id: str) -> dict[str, Any] | None:
        return self._one("WHERE exchange = %s AND order_sys_id = %s", (exchange, order_sys_id))

    def max_ref(self, front_id: int, session_id: int) -> int:
        row = self.conn.execute(
            "SELECT max(order_ref::bigint) FROM orders WHERE front_id = %s AND session_id = %s "
            "AND order_ref ~ '^ *[0-9]+ *$'", (front_id, session_id)).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def unresolved(self) -> list[dict[str, Any]]:
        """Rows written before ReqOrderInsert that no broker report has confirmed yet."""
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(_SELECT + "WHERE status = 'submitting' ORDER BY id").fetchall()

    def insert_submitting(self, request: OrderRequest, *, account: str, offset: str, front_id: int,
                          session_id: int, order_ref: str, stream_id: str | None,
                          trading_day: date | None) -> dict[str, Any]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(
                'INSERT INTO orders (idempotency_key, user_id, stream_id, account, symbol, exchange, direction, '
                '"offset", price_type, limit_price, volume, front_id, session_id, order_ref, status, trading_day) '
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'submitting', %s) RETURNING "
                + ", ".join(f'"{c}"' for c in ORDER_COLUMNS),
                (request.idempotency_key, request.user_id, stream_id, account, request.symbol,
                 str(request.exchange), str(request.direction), offset, str(request.price_type),
                 request.limit_price, request.volume, front_id, session_id, order_ref, trading_day)).fetchone()

    def insert_refused(self, request: OrderRequest, *, account: str, stream_id: str | None,
                       reason: str) -> dict[str, Any] | None:
        """An order refused before it was sent (bad offset, market order on SHFE, ...); None if the key exists."""
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(
                'INSERT INTO orders (idempotency_key, user_id, stream_id, account, symbol, exchange, direction, '
                '"offset", price_type, limit_price, volume, status, reason) '
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'rejected', %s) "
                "ON CONFLICT (idempotency_key) DO NOTHING RETURNING " + ", ".join(f'"{c}"' for c in ORDER_COLUMNS),
                (request.idempotency_key, request.user_id, stream_id, account, request.symbol,
                 str(request.exchange), str(request.direction), str(request.offset), str(request.price_type),
                 request.limit_price, request.volume, reason)).fetchone()

    def set_status(self, order_id: int, status: OrderStatus, reason: str | None = None) -> dict[str, Any] | None:
        """Move a row to ``status`` unless it is already final."""
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(
                "UPDATE orders SET status = %s, reason = coalesce(%s, reason), updated_at = now() "
                "WHERE id = %s AND NOT status = ANY(%s) RETURNING " + ", ".join(f'"{c}"' for c in ORDER_COLUMNS),
                (str(status), reason, order_id, _TERMINAL)).fetchone()

    def apply_report(self, report: Mapping[str, Any], *, account: str) -> dict[str, Any]:
        """Insert or update the row of one order report (OnRtnOrder / ReqQryOrder); a final status never
        goes back, traded volume never shrinks (a fill may have been stored before this report)."""
        status = str(report["status"])
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(
                'INSERT INTO orders (account, symbol, exchange, direction, "offset", price_type, limit_price, '
                "volume, front_id, session_id, order_ref, order_sys_id, status, volume_traded, reason, trading_day) "
                "VALUES (%(account)s, %(symbol)s, %(exchange)s, %(direction)s, %(offset)s, %(price_type)s, "
                "%(limit_price)s, %(volume)s, %(front_id)s, %(session_id)s, %(order_ref)s, nullif(%(order_sys_id)s, ''), "
                "%(status)s, %(volume_traded)s, %(reason)s, %(trading_day)s) "
                "ON CONFLICT (front_id, session_id, order_ref) DO UPDATE SET "
                "order_sys_id = coalesce(EXCLUDED.order_sys_id, orders.order_sys_id), "
                "status = CASE WHEN orders.status = ANY(%(terminal)s) THEN orders.status ELSE EXCLUDED.status END, "
                "volume_traded = greatest(orders.volume_traded, EXCLUDED.volume_traded), "
                "reason = coalesce(nullif(EXCLUDED.reason, ''), orders.reason), "
                "trading_day = coalesce(orders.trading_day, EXCLUDED.trading_day), updated_at = now() "
                "RETURNING " + ", ".join(f'"{c}"' for c in ORDER_COLUMNS),
                {**report, "account": account, "status": status, "terminal": _TERMINAL}).fetchone()

    def insert_trade(self, trade: Mapping[str, Any], *, account: str) -> bool:
        """Store one fill; False when it was stored before (a replay). Links the fill to its order's traded volume."""
        with self.conn.transaction():
            cur = self.conn.execute(
                'INSERT INTO trades (exchange, trade_id, direction, account, symbol, "offset", price, volume, '
                "order_sys_id, order_ref, traded_at, trading_day) VALUES (%(exchange)s, %(trade_id)s, %(direction)s, "
                "%(account)s, %(symbol)s, %(offset)s, %(price)s, %(volume)s, %(order_sys_id)s, %(order_ref)s, "
                "%(traded_at)s, %(trading_day)s) ON CONFLICT DO NOTHING", {**trade, "account": account})
            if cur.rowcount != 1:
                return False
            self.sync_traded(trade["exchange"], trade["order_sys_id"])
        return True

    def set_sys_id(self, order_id: int, order_sys_id: str) -> None:
        """A fill named the exchange's id before the order report did."""
        self.conn.execute("UPDATE orders SET order_sys_id = %s WHERE id = %s AND order_sys_id IS NULL",
                          (order_sys_id, order_id))

    def sync_traded(self, exchange: str, order_sys_id: str) -> None:
        """The order's traded volume is at least the sum of its stored fills (a fill may precede the report)."""
        self.conn.execute(
            "UPDATE orders o SET volume_traded = t.v, status = CASE WHEN o.status = ANY(%s) THEN o.status "
            "WHEN t.v >= o.volume THEN 'filled' ELSE 'partially_filled' END, updated_at = now() "
            "FROM (SELECT sum(volume) AS v FROM trades WHERE exchange = %s AND order_sys_id = %s) t "
            "WHERE o.exchange = %s AND o.order_sys_id = %s AND t.v > o.volume_traded",
            (_TERMINAL, exchange, order_sys_id, exchange, order_sys_id))

    def trades(self, account: str, trading_day: date | None = None) -> list[dict[str, Any]]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(
                'SELECT exchange, trade_id, direction, symbol, "offset", price, volume, order_sys_id, traded_at, '
                "trading_day FROM trades WHERE account = %s AND (%s::date IS NULL OR trading_day = %s) "
                "ORDER BY traded_at, trade_id", (account, trading_day, trading_day)).fetchall()

    def save_positions(self, account: str, rows: Iterable[tuple[str, str, int, int, float | None, float]]) -> None:
        """(symbol, direction, today, yesterday, avg_price, realised_pnl) rows replace the account's positions."""
        with self.conn.transaction():
            self.conn.execute("DELETE FROM positions WHERE account = %s", (account,))
            with self.conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO positions (account, symbol, direction, today, yesterday, avg_price, realised_pnl) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)", [(account, *r) for r in rows])

    def save_account(self, account: str, values: Mapping[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO accounts (account, balance, available, margin, frozen_margin, commission, close_profit, "
            "position_profit, trading_day) VALUES (%(account)s, %(balance)s, %(available)s, %(margin)s, "
            "%(frozen_margin)s, %(commission)s, %(close_profit)s, %(position_profit)s, %(trading_day)s) "
            "ON CONFLICT (account) DO UPDATE SET balance = EXCLUDED.balance, available = EXCLUDED.available, "
            "margin = EXCLUDED.margin, frozen_margin = EXCLUDED.frozen_margin, commission = EXCLUDED.commission, "
            "close_profit = EXCLUDED.close_profit, position_profit = EXCLUDED.position_profit, "
            "trading_day = EXCLUDED.trading_day, updated_at = now()", {**values, "account": account})

    def upsert_instruments(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Instruments from ReqQryInstrument: new ones added, known ones refreshed."""
        count = 0
        with self.conn.transaction(), self.conn.cursor() as cur:
            for row in rows:
                cur.execute(
                    "INSERT INTO instruments (symbol, exchange, product, multiplier, price_tick, name, expire_date, "
                    "open_date, max_market_volume, max_limit_volume, updated_at) VALUES (%(symbol)s, %(exchange)s, "
                    "%(product)s, %(multiplier)s, %(price_tick)s, %(name)s, %(expire_date)s, %(open_date)s, "
                    "%(max_market_volume)s, %(max_limit_volume)s, now()) ON CONFLICT (symbol) DO UPDATE SET "
                    "exchange = EXCLUDED.exchange, product = EXCLUDED.product, multiplier = EXCLUDED.multiplier, "
                    "price_tick = EXCLUDED.price_tick, name = EXCLUDED.name, expire_date = EXCLUDED.expire_date, "
                    "open_date = EXCLUDED.open_date, max_market_volume = EXCLUDED.max_market_volume, "
                    "max_limit_volume = EXCLUDED.max_limit_volume, updated_at = now()", dict(row))
                count += 1
        return count

    def set_limits(self, rows: Iterable[tuple[str, float | None, float | None]]) -> None:
        """(symbol, upper, lower) from the depth market data query: today's price limits."""
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.executemany("UPDATE instruments SET upper_limit = %s, lower_limit = %s, updated_at = now() "
                            "WHERE symbol = %s", [(u, lo, s) for s, u, lo in rows])

    def multipliers(self) -> dict[str, float]:
        return {s: float(m) for s, m in self.conn.execute("SELECT symbol, multiplier FROM instruments")}

