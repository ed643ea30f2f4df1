"""Orders on the session thread: exactly-once submission, reports, fills, positions, user events.

Exactly once at the broker, with an at-least-once stream in front:

1. An order request is looked up by its idempotency key. A key seen before is
   never sent again (the stream entry is acknowledged, or held until the
   broker's answer is known).
2. A new request gets the next OrderRef (above the login's MaxOrderRef and
   above every ref this session used) and its row is written (status
   ``submitting``, with FrontID/SessionID/OrderRef) BEFORE ``ReqOrderInsert``.
3. After every login the broker replays today's reports (private topic in
   RESTART mode) and answers ``ReqQryOrder``. A ``submitting`` row of an
   earlier session that neither mentions is marked rejected as unknown: it never
   reached the broker, and it is not sent again (the client decides).
Until that reconciliation is done, new requests wait.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import psycopg

from gateway_daemon.ctp.codes import POSITION_LONG, order_report, parse_ctp_time, trade_row
from gateway_daemon.logs import log
from gateway_daemon.trading.events import EventPublisher
from shared.adapters.pg_orders import OrderStore
from shared.domain.instruments import Exchange, spec_of
from shared.domain.orders import Direction, Offset, OrderRequest, OrderStatus, broker_offset, check_order
from shared.domain.positions import PositionBook
from shared.errors import InvalidInput

if TYPE_CHECKING:
    from gateway_daemon.ctp.td_session import TraderSession

UNKNOWN_AT_BROKER = "unknown at the broker: no order report after reconnect and not in ReqQryOrder; not resent"
RETRY_WAITING_S = 1.0


def _day(text: str) -> date | None:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if text and len(text) == 8 else None


class OrderManager:
    def __init__(self, database_url: str, events: EventPublisher, *, account: str,
                 ack: Callable[[str], None] = lambda entry_id: None,
                 on_symbols: Callable[[list[str], dict[str, str]], None] | None = None) -> None:
        self._url = database_url
        self._conn: psycopg.Connection | None = None
        self.events = events
        self.account = account
        self.ack = ack
        self.on_symbols = on_symbols
        self.session: TraderSession | None = None
        self.reconciled = False
        self.next_ref = 1
        self.held: dict[str, str] = {}  # idempotency key -> stream entry waiting for reconciliation
        self.waiting: list[tuple[str, dict[str, Any]]] = []
        self.book = PositionBook()
        self.book_ready = False
        self.multipliers: dict[str, float] = {}
        self._yesterday: list[dict[str, Any]] = []
        self._retry_at = 0.0
        self.sent: list[str] = []  # order refs this process sent (tests, logs)

    # storage
    def store(self) -> OrderStore:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=3)
        return OrderStore(self._conn)

    # session events
    def on_login(self, session: TraderSession) -> None:
        self.session = session
        self.reconciled = False
        used = self.store().max_ref(session.front_id, session.session_id)
        self.next_ref = max(session.max_order_ref, used) + 1

    def on_disconnected(self) -> None:
        self.reconciled = False

    def on_ready(self) -> None:
        pass

    def on_instruments(self, rows: list[dict[str, Any]]) -> None:
        known = {e.value for e in Exchange}
        items = [{
            "symbol": r["InstrumentID"], "exchange": r["ExchangeID"], "product": r["ProductID"],
            "multiplier": float(r["VolumeMultiple"] or 1), "price_tick": float(r["PriceTick"] or 1),
            "name": r["InstrumentName"], "expire_date": _day(r["ExpireDate"]), "open_date": _day(r["OpenDate"]),
            "max_market_volume": int(r["MaxMarketOrderVolume"]), "max_limit_volume": int(r["MaxLimitOrderVolume"]),
        } for r in rows if r["ProductClass"] == "1" and r["ExchangeID"] in known]  # futures only
        stored = self.store().upsert_instruments(items)
        self.multipliers.update({i["symbol"]: i["multiplier"] for i in items})
        log("instruments_stored", count=stored)
        if self.on_symbols is not None:
            self.on_symbols([i["symbol"] for i in items], {i["symbol"]: i["exchange"] for i in items})

    def on_limits(self, rows: list[dict[str, Any]]) -> None:
        def price(v: float) -> float | None:
            return v if 0 < v < 1e300 else None
        self.store().set_limits([(r["InstrumentID"], price(r["UpperLimitPrice"]), price(r["LowerLimitPrice"]))
                                 for r in rows])

    def on_account(self, row: dict[str, Any]) -> None:
        self.store().save_account(self.account, {
            "balance": row["Balance"], "available": row["Available"], "margin": row["CurrMargin"],
            "frozen_margin": row["FrozenMargin"], "commission": row["Commission"], "close_profit": row["CloseProfit"],
            "position_profit": row["PositionProfit"], "trading_day": _day(row["TradingDay"])})

    def on_positions(self, rows: list[dict[str, Any]]) -> None:
        self._yesterday = rows

    def on_order(self, fields: dict[str, Any], replayed: bool = False) -> None:
        row = self.store().apply_report(order_report(fields), account=self.account)
        self._publish_order(row)

    def on_orders_queried(self, rows: list[dict[str, Any]]) -> None:
        store = self.store()
        for fields in rows:
            store.apply_report(order_report(fields), account=self.account)
        session = self.session
        for row in store.unresolved():
            if session is not None and (row["front_id"], row["session_id"]) == (session.front_id, session.session_id):
                continue  # this session's own, still in flight
            updated = store.set_status(row["id"], OrderStatus.REJECTED, UNKNOWN_AT_BROKER)
            log("order_unknown_at_broker", "warning", order_ref=row["order_ref"], front_id=row["front_id"],
                session_id=row["session_id"], idempotency_key=row["idempotency_key"])
            self._publish_order(updated)
        for key, entry_id in list(self.held.items()):
            self.ack(entry_id)
            del self.held[key]
        self.reconciled = True
        log("orders_reconciled", broker_orders=len(rows))
        self._drain_waiting()

    def on_trade(self, fields: dict[str, Any]) -> None:
        row = trade_row(fields)
        store = self.store()
        if not store.insert_trade(row, account=self.account):
            return  # a replay of a fill already stored
        order = store.by_sys_id(row["exchange"], row["order_sys_id"])
        if order is None and self.session is not None:
            # the fill came before its order report: a fill names OrderRef but not the session, so only
            # this session's own orders can be matched by ref
            order = store.by_identity(self.session.front_id, self.session.session_id, row["order_ref"])
            if order is not None and not order["order_sys_id"] and order["exchange"] == row["exchange"]:
                store.set_sys_id(order["id"], row["order_sys_id"])
                store.sync_traded(row["exchange"], row["order_sys_id"])
                order = store.by_sys_id(row["exchange"], row["order_sys_id"])
            else:
                order = None
        if self.book_ready:
            self._apply_fill(row)
            self._save_positions()
        user = order["user_id"] if order else None
        self.events.publish(user, "trade", {**row, "order_id": order["id"] if order else None})
        if order is not None:
            self._publish_order(order)

    def on_trades_queried(self, rows: list[dict[str, Any]]) -> None:
        store = self.store()
        for fields in rows:
            store.insert_trade(trade_row(fields), account=self.account)
        self._rebuild_book()

    def on_insert_error(self, fields: dict[str, Any], error: tuple[int, str]) -> None:
        session = self.session
        if session is None:
            return
        row = self.store().by_identity(session.front_id, session.session_id, str(fields["OrderRef"]).strip())
        if row is None:
            log("insert_error_for_unknown_order", "warning", order_ref=fields["OrderRef"], error_id=error[0])
            return
        updated = self.store().set_status(row["id"], OrderStatus.REJECTED, f"{error[1]} (CTP error {error[0]})")
        log("order_rejected", order_ref=row["order_ref"], error_id=error[0], reason=error[1])
        self._publish_order(updated)

    def on_action_error(self, fields: dict[str, Any], error: tuple[int, str]) -> None:
        store = self.store()
        row = None
        if fields.get("FrontID"):
            row = store.by_identity(int(fields["FrontID"]), int(fields["SessionID"]), str(fields["OrderRef"]).strip())
        if row is None and fields.get("OrderSysID"):
            row = store.by_sys_id(fields["ExchangeID"], fields["OrderSysID"])
        log("cancel_rejected", "warning", order_ref=fields.get("OrderRef"), error_id=error[0], reason=error[1])
        if row is not None:
            self.events.publish(row["user_id"], "cancel_rejected",
                                {"order_id": row["id"], "reason": f"{error[1]} (CTP error {error[0]})"})

    def on_command(self, kind: str, payload: Any) -> None:
        entry_id, fields = payload
        if kind == "insert":
            self._insert(entry_id, fields)
        elif kind == "cancel":
            self._cancel(entry_id, fields)
        else:
            log("order_command_unknown", "warning", kind=kind, entry_id=entry_id)
            self.ack(entry_id)

    def tick(self, now: float) -> None:
        if self.waiting and now >= self._retry_at and self._ready():
            self._retry_at = now + RETRY_WAITING_S
            self._drain_waiting()

    # orders
    def _ready(self) -> bool:
        return self.session is not None and self.session.ready.is_set() and self.reconciled

    def _drain_waiting(self) -> None:
        waiting, self.waiting = self.waiting, []
        for entry_id, fields in waiting:
            if fields.get("_cancel"):
                self._cancel(entry_id, fields)
            else:
                self._insert(entry_id, fields)

    def _insert(self, entry_id: str, fields: dict[str, Any]) -> None:
        try:
            request = OrderRequest.from_json(fields)
        except InvalidInput as exc:
            log("order_request_invalid", "warning", entry_id=entry_id, error=exc.message)
            self.events.publish(str(fields.get("user_id") or ""), "order_invalid",
                                {"idempotency_key": fields.get("idempotency_key"), "reason": exc.message})
            self.ack(entry_id)
            return
        try:
            self._insert_request(entry_id, fields, request)
        except psycopg.Error as exc:
            # nothing was sent: the write-ahead row comes first; try again when the database is back
            log("order_store_unavailable", "warning", entry_id=entry_id, error=str(exc).strip())
            self._conn = None
            self.waiting.append((entry_id, fields))
            self._retry_at = time.monotonic() + RETRY_WAITING_S

    def _insert_request(self, entry_id: str, fields: dict[str, Any], request: OrderRequest) -> None:
        store = self.store()
        existing = store.by_key(request.idempotency_key)
        if existing is not None:
            if existing["status"] == OrderStatus.SUBMITTING and not self.reconciled:
                self.held[request.idempotency_key] = entry_id  # its fate is known after reconciliation
            else:
                log("order_duplicate", idempotency_key=request.idempotency_key, order_id=existing["id"],
                    status=existing["status"])
                self.ack(entry_id)
            return
        if not self._ready():
            self.waiting.append((entry_id, fields))
            return
        session = self.session
        assert session is not None
        try:
            check_order(request)
            side = self.book.side(request.symbol, request.direction is Direction.SELL)  # what a close closes
            offset = broker_offset(request.exchange, request.offset, request.volume, side.volume_today,
                                   side.volume_yesterday) if self.book_ready else request.offset
        except InvalidInput as exc:
            row = store.insert_refused(request, account=self.account, stream_id=entry_id, reason=exc.message)
            self._publish_order(row)
            self.ack(entry_id)
            return
        ref = str(self.next_ref)
        self.next_ref += 1
        row = store.insert_submitting(request, account=self.account, offset=str(offset),
                                      front_id=session.front_id, session_id=session.session_id, order_ref=ref,
                                      stream_id=entry_id, trading_day=_day(session.trading_day))
        code = session.insert_order(request, offset, ref)
        self.sent.append(ref)
        log("order_sent", order_ref=ref, front_id=session.front_id, session_id=session.session_id,
            idempotency_key=request.idempotency_key, symbol=request.symbol, code=code)
        if code != 0:  # the request never left this process (-1 network, -2/-3 flow control)
            row = store.set_status(row["id"], OrderStatus.REJECTED, f"ReqOrderInsert returned {code}")
        self._publish_order(row)
        self.ack(entry_id)

    def _cancel(self, entry_id: str, fields: dict[str, Any]) -> None:
        store = self.store()
        row = None
        if fields.get("idempotency_key"):
            row = store.by_key(str(fields["idempotency_key"]))
        elif fields.get("order_ref") and fields.get("session_id"):
            row = store.by_identity(int(fields["front_id"]), int(fields["session_id"]), str(fields["order_ref"]))
        if row is None or (fields.get("user_id") and row["user_id"] != fields["user_id"]):
            log("cancel_unknown_order", "warning", entry_id=entry_id)
            self.ack(entry_id)
            return
        if self.session is None or not self.session.ready.is_set():
            self.waiting.append((entry_id, {**fields, "_cancel": True}))
            return
        code = self.session.cancel_order(symbol=row["symbol"], exchange=row["exchange"], front_id=row["front_id"],
                                         session_id=row["session_id"], order_ref=row["order_ref"],
                                         order_sys_id=row["order_sys_id"])
        log("cancel_sent", order_id=row["id"], front_id=row["front_id"], session_id=row["session_id"],
            order_ref=row["order_ref"], order_sys_id=row["order_sys_id"], code=code)
        self.ack(entry_id)

    # positions
    def _apply_fill(self, row: dict[str, Any]) -> None:
        multiplier = self.multipliers.get(row["symbol"]) or spec_of(row["symbol"]).multiplier
        self.book.apply(row["symbol"], Direction(row["direction"]), Offset(row["offset"]), row["price"],
                        row["volume"], multiplier)

    def _rebuild_book(self) -> None:
        store = self.store()
        self.multipliers.update(store.multipliers())
        self.book = PositionBook()
        for r in self._yesterday:
            if r["YdPosition"]:
                self.book.set_yesterday(r["InstrumentID"], r["PosiDirection"] == POSITION_LONG, int(r["YdPosition"]),
                                        float(r["PreSettlementPrice"]))
        day = _day(self.session.trading_day) if self.session else None
        for trade in store.trades(self.account, day):
            self._apply_fill(trade)
        self.book_ready = True
        self._save_positions()

    def _save_positions(self) -> None:
        self.store().save_positions(self.account, [
            (symbol, direction, side.volume_today, side.volume_yesterday, side.avg_price, side.realised_pnl)
            for symbol, direction, side in self.book.items() if side.volume or side.realised_pnl])

    def _publish_order(self, row: dict[str, Any] | None) -> None:
        if row is not None:
            self.events.publish(row["user_id"], "order", {k: v for k, v in row.items() if k != "stream_id"})


__all__ = ["OrderManager", "parse_ctp_time"]
