"""The trading session: connect, ReqAuthenticate (AppID, AuthCode), login, settlement confirm, queries.

One thread owns the session (an actor): CTP's SPI thread (``td_spi``) only copies each
structure into plain values and posts it to the session's inbox; the session
thread runs the protocol, the query queue and the ``OrderManager`` (database
writes included) one message at a time, so no state is shared between threads.
Commands from the order intake arrive through the same inbox.

Authentication: every ``OnFrontConnected`` starts over (authenticate, login,
confirm). A failed ``OnRspAuthenticate`` is retried after ``auth_retry_s`` and
at the next connect, except ErrorID 63 (wrong AuthCode), which no retry can
fix: the session stops trying and logs a critical ``ctp_auth_rejected`` alert.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import psycopg

from gateway_daemon.ctp.codes import (ACTION_DELETE, AUTH_CODE_WRONG, CONTINGENT_IMMEDIATELY, DIRECTION,
                                      FORCE_CLOSE_NOT, HEDGE_SPECULATION, OFFSET, order_type)
from gateway_daemon.ctp.config import CtpConfig
from gateway_daemon.ctp.query_queue import QueryQueue
from gateway_daemon.ctp.td_spi import make_trader_spi
from gateway_daemon.logs import log
from shared.domain.orders import Offset, OrderRequest

# messages whose handling writes to PostgreSQL: while it is away they wait, in order, and are retried
STORE_BOUND = frozenset({"order", "trade", "rsp", "insert_error", "action_error", "command", "logged_in"})
STALL_RETRY_S = 1.0


class OrderHandler(Protocol):
    """What the session tells the order side (``gateway_daemon.trading.manager.OrderManager``)."""

    def on_login(self, session: TraderSession) -> None: ...
    def on_disconnected(self) -> None: ...
    def on_ready(self) -> None: ...
    def on_instruments(self, rows: list[dict[str, Any]]) -> None: ...
    def on_limits(self, rows: list[dict[str, Any]]) -> None: ...
    def on_account(self, row: dict[str, Any]) -> None: ...
    def on_positions(self, rows: list[dict[str, Any]]) -> None: ...
    def on_order(self, fields: dict[str, Any], replayed: bool) -> None: ...
    def on_orders_queried(self, rows: list[dict[str, Any]]) -> None: ...
    def on_trade(self, fields: dict[str, Any]) -> None: ...
    def on_trades_queried(self, rows: list[dict[str, Any]]) -> None: ...
    def on_insert_error(self, fields: dict[str, Any], error: tuple[int, str]) -> None: ...
    def on_action_error(self, fields: dict[str, Any], error: tuple[int, str]) -> None: ...
    def on_command(self, kind: str, payload: Any) -> None: ...
    def tick(self, now: float) -> None: ...


def create_trader_api(flow_dir: str) -> Any:
    from openctp_ctp import tdapi

    return tdapi.CThostFtdcTraderApi.CreateFtdcTraderApi(flow_dir)


class TraderSession:
    def __init__(self, config: CtpConfig, handler: OrderHandler, *,
                 api_factory: Callable[[str], Any] = create_trader_api, query_interval_s: float = 1.0,
                 auth_retry_s: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 query_instruments: bool = True) -> None:
        from openctp_ctp import tdapi  # after the locale check

        self._td = tdapi
        self.config = config
        self.handler = handler
        self.queries = QueryQueue(query_interval_s)
        self.auth_retry_s = auth_retry_s
        self.query_instruments = query_instruments
        self._clock = clock
        self._api_factory = api_factory
        self._api: Any = None
        self._inbox: queue.Queue[tuple[str, tuple[Any, ...]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._request_id = 0
        self._retry_auth_at: float | None = None
        self._rows: dict[str, list[dict[str, Any]]] = {}
        self._stalled: deque[tuple[str, tuple[Any, ...]]] = deque()  # reports waiting for the database
        self._stalled_retry_at = 0.0
        self.state = "disconnected"
        self.auth_fatal = False
        self.ready = threading.Event()
        self.stopped = threading.Event()
        self.front_id = 0
        self.session_id = 0
        self.max_order_ref = 0
        self.trading_day = ""
        self.auth_attempts = 0
        self.logins = 0
        self.confirmations = 0

    # life
    def start(self) -> None:
        os.makedirs(self.config.flow_dir + "/td", exist_ok=True)
        self._api = self._api_factory(self.config.flow_dir + "/td/")
        self._spi = make_trader_spi(self.post)
        self._api.RegisterSpi(self._spi)
        for front in self.config.td_fronts:
            self._api.RegisterFront(front)
        # RESTART: after every (re)connect the broker replays today's order and trade reports
        self._api.SubscribePrivateTopic(self._td.THOST_TERT_RESTART)
        self._api.SubscribePublicTopic(self._td.THOST_TERT_QUICK)
        self._thread = threading.Thread(target=self._run, name="ctp-trader", daemon=True)
        self._thread.start()
        log("td_starting", fronts=list(self.config.td_fronts), account=self.config.account)
        self._api.Init()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Log out, release the API, end the session thread."""
        self.post("_stop")
        if self._thread is not None:
            self._thread.join(timeout_s)

    def post(self, kind: str, *args: Any) -> None:
        """Any thread: queue a message for the session thread."""
        self._inbox.put((kind, args))

    def command(self, kind: str, payload: Any) -> None:
        """Order intake: ``("insert", (entry_id, fields))`` or ``("cancel", ...)``, handled on the session thread."""
        self.post("command", kind, payload)

    def call(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on the session thread (tests, shutdown hooks)."""
        self.post("call", fn)

    def _run(self) -> None:
        while True:
            now = self._clock()
            due = [t for t in (self.queries.next_due(now), self._retry_auth_at) if t is not None]
            timeout = max(0.0, min(due) - now) if due else 0.2
            try:
                kind, args = self._inbox.get(timeout=min(timeout, 0.2))
            except queue.Empty:
                kind, args = "", ()
            try:
                if kind == "_stop":
                    self._shutdown()
                    return
                if kind in STORE_BOUND:
                    if self._stalled or not self._handle(kind, args):
                        self._stalled.append((kind, args))  # behind the stalled ones: order is kept
                elif kind:
                    getattr(self, "_on_" + kind)(*args)
                now = self._clock()
                if self._stalled and now >= self._stalled_retry_at:
                    self._retry_stalled(now)
                if self._retry_auth_at is not None and now >= self._retry_auth_at:
                    self._retry_auth_at = None
                    if self.state == "connected":
                        self._authenticate()
                self.queries.pump(now)
                self.handler.tick(now)
            except Exception as exc:  # noqa: BLE001 - the session thread must survive one bad message
                log("td_handler_failed", "error", message_kind=kind, error=repr(exc))

    def _handle(self, kind: str, args: tuple[Any, ...]) -> bool:
        """Run a message that writes to the database; False (to be retried) while the database is away."""
        try:
            getattr(self, "_on_" + kind)(*args)
        except psycopg.OperationalError as exc:
            if not self._stalled:
                log("td_store_unavailable", "warning", error=str(exc).strip(),
                    action="order reports wait in memory, in order, and are retried every second")
            self._stalled_retry_at = self._clock() + STALL_RETRY_S
            return False
        return True

    def _retry_stalled(self, now: float) -> None:
        while self._stalled:
            kind, args = self._stalled[0]
            if not self._handle(kind, args):
                return
            self._stalled.popleft()
        log("td_store_recovered")

    def _shutdown(self) -> None:
        api, self._api = self._api, None
        if api is not None:
            if self.ready.is_set():
                out = self._td.CThostFtdcUserLogoutField()
                out.BrokerID, out.UserID = self.config.broker_id, self.config.user_id
                api.ReqUserLogout(out, self._next_id())
                log("td_logged_out", account=self.config.account)
            api.RegisterSpi(None)
            api.Release()
        self.ready.clear()
        self.state = "stopped"
        self.stopped.set()

    def _next_id(self) -> int:
        self._request_id += 1
        return self._request_id

    # protocol, on the session thread
    def _on_connected(self) -> None:
        self.state = "connected"
        log("td_connected")
        if self.auth_fatal:
            log("ctp_auth_rejected", "critical", error_id=AUTH_CODE_WRONG, action="not retrying: fix the AuthCode")
            return
        self._authenticate()

    def _authenticate(self) -> None:
        req = self._td.CThostFtdcReqAuthenticateField()
        req.BrokerID, req.UserID = self.config.broker_id, self.config.user_id
        req.AppID, req.AuthCode = self.config.app_id, self.config.auth_code
        self.auth_attempts += 1
        self.state = "authenticating"
        code = self._api.ReqAuthenticate(req, self._next_id())
        if code != 0:
            log("td_authenticate_request_failed", "warning", code=code)
            self.state = "connected"
            self._retry_auth_at = self._clock() + self.auth_retry_s

    def _on_disconnected(self, reason: int) -> None:
        self.state = "disconnected"
        self.ready.clear()
        self._retry_auth_at = None
        self.queries.clear()
        self._rows.clear()
        log("td_disconnected", "warning", reason=hex(reason))
        self.handler.on_disconnected()

    def _on_heartbeat(self, lapse_s: int) -> None:
        log("td_heartbeat_warning", "warning", seconds_since_last=lapse_s)

    def _on_authenticated(self, error: tuple[int, str] | None) -> None:
        if error is not None:
            error_id, message = error
            if error_id == AUTH_CODE_WRONG:
                self.auth_fatal = True
                self.state = "auth_rejected"
                log("ctp_auth_rejected", "critical", error_id=error_id, message=message,
                    action="not retrying: fix the AuthCode")
                return
            log("td_authenticate_failed", "warning", error_id=error_id, message=message, retry_in_s=self.auth_retry_s)
            self.state = "connected"
            self._retry_auth_at = self._clock() + self.auth_retry_s
            return
        log("td_authenticated", app_id=self.config.app_id)
        req = self._td.CThostFtdcReqUserLoginField()
        req.BrokerID, req.UserID, req.Password = self.config.broker_id, self.config.user_id, self.config.password
        self.state = "logging_in"
        self._api.ReqUserLogin(req, self._next_id())

    def _on_logged_in(self, info: dict[str, Any], error: tuple[int, str] | None) -> None:
        if error is not None:
            log("td_login_failed", "error", error_id=error[0], message=error[1], retry_in_s=self.auth_retry_s)
            self.state = "connected"
            self._retry_auth_at = self._clock() + self.auth_retry_s
            return
        self.front_id, self.session_id = int(info["FrontID"]), int(info["SessionID"])
        self.max_order_ref = int(str(info["MaxOrderRef"]).strip() or 0)
        self.trading_day = info["TradingDay"]
        self.logins += 1
        log("td_logged_in", front_id=self.front_id, session_id=self.session_id, max_order_ref=self.max_order_ref,
            trading_day=self.trading_day)
        self.handler.on_login(self)
        req = self._td.CThostFtdcSettlementInfoConfirmField()
        req.BrokerID, req.InvestorID = self.config.broker_id, self.config.user_id
        self.state = "confirming"
        self._api.ReqSettlementInfoConfirm(req, self._next_id())

    def _on_confirmed(self, error: tuple[int, str] | None) -> None:
        if error is not None:
            log("td_settlement_confirm_failed", "error", error_id=error[0], message=error[1])
            return
        self.confirmations += 1
        self.state = "ready"
        log("td_ready", trading_day=self.trading_day)
        self._queue_queries()
        self.ready.set()
        self.handler.on_ready()

    def _queue_queries(self) -> None:
        td, b, u = self._td, self.config.broker_id, self.config.user_id

        def query(name: str, struct: Any, method: str) -> None:
            if hasattr(struct, "BrokerID"):
                struct.BrokerID = b
            if hasattr(struct, "InvestorID"):
                struct.InvestorID = u
            self.queries.add(name, lambda: getattr(self._api, method)(struct, self._next_id()))

        if self.query_instruments:
            query("instruments", td.CThostFtdcQryInstrumentField(), "ReqQryInstrument")
            query("limits", td.CThostFtdcQryDepthMarketDataField(), "ReqQryDepthMarketData")
        query("account", td.CThostFtdcQryTradingAccountField(), "ReqQryTradingAccount")
        query("positions", td.CThostFtdcQryInvestorPositionField(), "ReqQryInvestorPosition")
        query("orders", td.CThostFtdcQryOrderField(), "ReqQryOrder")
        query("trades", td.CThostFtdcQryTradeField(), "ReqQryTrade")

    def query_orders(self) -> None:
        """Ask for the broker's order list again (reconciliation)."""
        struct = self._td.CThostFtdcQryOrderField()
        struct.BrokerID, struct.InvestorID = self.config.broker_id, self.config.user_id
        self.queries.add("orders", lambda: self._api.ReqQryOrder(struct, self._next_id()))

    def _on_rsp(self, name: str, row: dict[str, Any] | None, last: bool, error: tuple[int, str] | None) -> None:
        rows = self._rows.setdefault(name, [])
        if row is not None:
            rows.append(row)
        if error is not None:
            log("ctp_query_error", "warning", query=name, error_id=error[0], message=error[1])
        if not last:
            return
        self.queries.done(name)
        rows = self._rows.pop(name, [])
        log("ctp_query_answered", query=name, rows=len(rows))
        {"instruments": self.handler.on_instruments, "limits": self.handler.on_limits,
         "account": lambda r: self.handler.on_account(r[0]) if r else None,
         "positions": self.handler.on_positions, "orders": self.handler.on_orders_queried,
         "trades": self.handler.on_trades_queried}[name](rows)

    def _on_order(self, fields: dict[str, Any]) -> None:
        self.handler.on_order(fields, False)

    def _on_trade(self, fields: dict[str, Any]) -> None:
        self.handler.on_trade(fields)

    def _on_insert_error(self, fields: dict[str, Any], error: tuple[int, str]) -> None:
        self.handler.on_insert_error(fields, error)

    def _on_action_error(self, fields: dict[str, Any], error: tuple[int, str]) -> None:
        self.handler.on_action_error(fields, error)

    def _on_command(self, kind: str, payload: Any) -> None:
        self.handler.on_command(kind, payload)

    def _on_call(self, fn: Callable[[], Any]) -> None:
        fn()

    # requests the order side makes (on the session thread)
    def insert_order(self, request: OrderRequest, offset: Offset, order_ref: str) -> int:
        price_type, time_condition, volume_condition = order_type(request.price_type)
        req = self._td.CThostFtdcInputOrderField()
        req.BrokerID, req.InvestorID, req.UserID = self.config.broker_id, self.config.user_id, self.config.user_id
        req.InstrumentID, req.ExchangeID = request.symbol, str(request.exchange)
        req.OrderRef = order_ref
        req.Direction = DIRECTION[request.direction]
        req.CombOffsetFlag = OFFSET[offset]
        req.CombHedgeFlag = HEDGE_SPECULATION
        req.OrderPriceType, req.TimeCondition, req.VolumeCondition = price_type, time_condition, volume_condition
        req.LimitPrice = request.limit_price or 0.0
        req.VolumeTotalOriginal = request.volume
        req.MinVolume = request.volume if volume_condition == "3" else 1
        req.ContingentCondition = CONTINGENT_IMMEDIATELY
        req.ForceCloseReason = FORCE_CLOSE_NOT
        req.IsAutoSuspend = 0
        req.UserForceClose = 0
        return int(self._api.ReqOrderInsert(req, self._next_id())) if self._api else -1

    def cancel_order(self, *, symbol: str, exchange: str, front_id: int, session_id: int, order_ref: str,
                     order_sys_id: str | None) -> int:
        """Cancel by the order's OWN identity (its session, not ours), plus the exchange's OrderSysID if known."""
        req = self._td.CThostFtdcInputOrderActionField()
        req.BrokerID, req.InvestorID, req.UserID = self.config.broker_id, self.config.user_id, self.config.user_id
        req.InstrumentID, req.ExchangeID = symbol, exchange
        req.FrontID, req.SessionID, req.OrderRef = front_id, session_id, order_ref
        if order_sys_id:
            req.OrderSysID = order_sys_id
        req.ActionFlag = ACTION_DELETE
        return int(self._api.ReqOrderAction(req, self._next_id())) if self._api else -1
