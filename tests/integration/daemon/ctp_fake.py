"""A scripted fake CTP front: test doubles of ``CThostFtdcMdApi`` and ``CThostFtdcTraderApi``.

They call OUR real SPI subclasses with real openctp-ctp structures, on a
thread of their own (as CTP does). Tests script the front: connect,
disconnect, quotes, error codes, fills, a trade before its order report.
``FakeBroker`` keeps the broker's side (orders, trades, positions, the last
OrderRef each session used) and can live in a JSON file, so it survives a
SIGKILL of the daemon under test and is shared with a restarted daemon.
"""
from __future__ import annotations

import ctypes
import json
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openctp_ctp import mdapi, tdapi


# what CTP calls for each quote: SWIG's C++ director of MdSpi, which takes the GIL, wraps the structure's
# pointer in a new Python proxy and calls our OnRtnDepthMarketData. It is called as a PyDLL function, which
# keeps the GIL: a CDLL call would give it up and take it back around the director's own taking and giving
# back, two hand-overs a quote where CTP's thread makes one; the benchmark's copy of each structure into
# the reused one (ctypes.memmove, outside the GIL) is that one, as CTP fills it in C++.
_DIRECTOR_ON_DEPTH = "_ZN28SwigDirector_CThostFtdcMdSpi20OnRtnDepthMarketDataEP30CThostFtdcDepthMarketDataField"


def _director_on_depth() -> Callable[[int, int], None] | None:
    try:
        entry = ctypes.PyDLL(mdapi._thostmduserapi.__file__)[_DIRECTOR_ON_DEPTH]
    except (AttributeError, OSError):  # another build of the wrappers: the SPI is called from Python
        return None
    entry.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    entry.restype = None
    return entry


def _has_director(spi: Any) -> bool:
    """SWIG makes a director only for an instance of a Python subclass of the SPI."""
    return isinstance(spi, mdapi.CThostFtdcMdSpi) and type(spi) is not mdapi.CThostFtdcMdSpi


class SpiThread:
    """Runs SPI callbacks one after another on one thread, like CTP's own."""

    def __init__(self, name: str) -> None:
        self._queue: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]] | None] = queue.Queue()
        self.errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        self._queue.put((fn, args))

    def drain(self) -> None:
        """Wait until every callback queued so far has run."""
        self._queue.join()
        if self.errors:
            raise self.errors[0]

    def close(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                fn, args = item
                fn(*args)
            except BaseException as exc:  # noqa: BLE001 - surfaced by drain()
                self.errors.append(exc)
            finally:
                self._queue.task_done()


def put_gb18030(struct: Any, name: str, text: str) -> None:
    """Write ``text`` into a char-array field as GB18030 bytes, as a Chinese broker sends it.

    openctp's setters store UTF-8, its getters read GB18030 (through the locale); to fake the
    broker's bytes we find the field's offset with an ASCII marker and write the bytes there.
    """
    raw = text.encode("gb18030")
    marker = "Q" * len(raw)
    setattr(struct, name, marker)
    base = int(struct.this)
    window = ctypes.string_at(base, 4096)
    at = window.find(marker.encode())
    assert at >= 0, name
    ctypes.memmove(base + at, raw + b"\0", len(raw) + 1)


def rsp_info(error_id: int = 0, message: str = "") -> Any:
    info = tdapi.CThostFtdcRspInfoField()
    info.ErrorID = error_id
    if message:
        put_gb18030(info, "ErrorMsg", message)
    return info


def md_info(error_id: int = 0) -> Any:
    info = mdapi.CThostFtdcRspInfoField()
    info.ErrorID = error_id
    return info


class FakeMdApi:
    """Stands in for CThostFtdcMdApi: remembers subscriptions per connection, delivers quotes for them."""

    def __init__(self, trading_day: str = "20171113") -> None:
        self.spi: Any = None
        self.fronts: list[str] = []
        self.thread = SpiThread("fake-md")
        self.trading_day = trading_day
        self.login_requests = 0
        self.subscribe_calls: list[list[str]] = []
        self.subscribed: set[str] = set()
        self.login_error = 0
        self.released = False
        self._struct = mdapi.CThostFtdcDepthMarketDataField()
        self._on_depth = _director_on_depth()
        self._target: tuple[Any, int | None] = (None, None)

    @property
    def through_director(self) -> bool:
        return self._on_depth is not None

    # the API our code calls
    def RegisterSpi(self, spi: Any) -> None:
        self.spi = spi
        # decided once here, not per quote: the SPI and the address its director is entered at, if any
        address = int(spi.this) if self._on_depth is not None and _has_director(spi) else None
        self._target = (spi, address)

    def RegisterFront(self, front: str) -> None:
        self.fronts.append(front)

    def Init(self) -> None:
        pass

    def Release(self) -> None:
        self.released = True
        self.thread.close()

    def ReqUserLogin(self, req: Any, request_id: int) -> int:
        self.login_requests += 1
        assert req.BrokerID and req.UserID
        rsp = mdapi.CThostFtdcRspUserLoginField()
        rsp.TradingDay = self.trading_day
        self.thread.call(lambda: self.spi.OnRspUserLogin(rsp, md_info(self.login_error), request_id, True))
        return 0

    def ReqUserLogout(self, req: Any, request_id: int) -> int:
        return 0

    def SubscribeMarketData(self, symbols: list[bytes], count: int) -> int:
        names = [s.decode() for s in symbols[:count]]
        self.subscribe_calls.append(names)
        for name in names:
            self.subscribed.add(name)
            field = mdapi.CThostFtdcSpecificInstrumentField()
            field.InstrumentID = name
            self.thread.call(lambda f=field: self.spi.OnRspSubMarketData(f, md_info(), 0, True))
        return 0

    # the script
    def connect(self) -> None:
        self.thread.call(lambda: self.spi.OnFrontConnected())

    def disconnect(self, reason: int = 0x1001) -> None:
        self.subscribed.clear()  # a new connection starts with no subscriptions

        def drop() -> None:
            self.spi.OnFrontDisconnected(reason)

        self.thread.call(drop)

    def heartbeat_warning(self, seconds: int) -> None:
        self.thread.call(lambda: self.spi.OnHeartBeatWarning(seconds))

    def quote(self, fields: dict[str, Any]) -> bool:
        """Deliver one DepthMarketData if the contract is subscribed (as CTP does); True when sent."""
        if fields["InstrumentID"] not in self.subscribed:
            return False
        struct = mdapi.CThostFtdcDepthMarketDataField()
        for key, value in fields.items():
            setattr(struct, key, value)
        self.thread.call(lambda: self.quote_now(struct))
        return True

    def quote_now(self, struct: Any) -> None:
        """One DepthMarketData on the caller's thread (the benchmark's path, with a reused structure). It
        enters the SPI the way CTP does, through SWIG's C++ director (``through_director``), where the
        library exports it."""
        spi, address = self._target  # one read: the daemon may unregister the SPI meanwhile
        if spi is None:
            return
        if address is None:
            spi.OnRtnDepthMarketData(struct)
        else:
            self._on_depth(address, int(struct.this))  # type: ignore[misc]

    def drain(self) -> None:
        self.thread.drain()


def _struct(kind: str, fields: dict[str, Any]) -> Any:
    struct = getattr(tdapi, kind)()
    for key, value in fields.items():
        if key in ("StatusMsg", "InstrumentName") and value:
            put_gb18030(struct, key, value)
        else:
            setattr(struct, key, value)
    return struct


class FakeBroker:
    """The broker's side: sessions, orders, trades, the private flow. In a JSON file when ``path`` is given,
    so a SIGKILLed daemon's orders are still at the broker when it restarts."""

    def __init__(self, path: str | Path | None = None, *, trading_day: str = "20240105") -> None:
        self.path = Path(path) if path else None
        self.state: dict[str, Any] = {
            "trading_day": trading_day, "front_id": 1, "next_session": 1234567, "next_sys_id": 88001,
            "max_order_ref": {},  # session id -> MaxOrderRef at login (scripted) or default "0"
            "orders": [], "trades": [], "flow": [],  # flow: the private topic, replayed in RESTART mode
            "inserts": [], "actions": [], "instruments": [], "positions": [], "auth_errors": [],
            "insert_errors": {}, "insert_error_via": ["rsp", "err_rtn"], "hold_reports": False, "lose_inserts": False, "throttle": 0,
            "auto_fill": False, "sessions": [],
            "exchange_rejects": {},  # OrderRef -> reason: accepted by CTP, refused by the exchange (OnRtnOrder)
            "action_exchange_errors": [],  # [ErrorID, reason] for the next cancels: refused by the exchange
        }
        if self.path is not None and self.path.exists():
            self.state.update(json.loads(self.path.read_text()))
        self.lock = threading.RLock()

    def save(self) -> None:
        if self.path is not None:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.state))
            os.replace(tmp, self.path)

    def __getitem__(self, key: str) -> Any:
        return self.state[key]

    def __setitem__(self, key: str, value: Any) -> None:
        with self.lock:
            self.state[key] = value
            self.save()

    def order(self, front_id: int, session_id: int, ref: str) -> dict[str, Any] | None:
        return next((o for o in self.state["orders"] if (o["FrontID"], o["SessionID"], o["OrderRef"])
                     == (front_id, session_id, ref)), None)

    def order_by_sys_id(self, sys_id: str) -> dict[str, Any] | None:
        return next((o for o in self.state["orders"] if o["OrderSysID"] == sys_id), None)


ORDER_DEFAULTS = {"OrderPriceType": "2", "TimeCondition": "3", "VolumeCondition": "1", "OrderSubmitStatus": "3",
                  "StatusMsg": "", "VolumeTraded": 0, "CombHedgeFlag": "1"}


class FakeTraderApi:
    """Stands in for CThostFtdcTraderApi over a ``FakeBroker``; one instance per daemon 'process'."""

    def __init__(self, broker: FakeBroker, *, session_ids: list[int] | None = None, max_order_ref: str = "0") -> None:
        self.broker = broker
        self.spi: Any = None
        self.fronts: list[str] = []
        self.thread = SpiThread("fake-td")
        self.private_mode: int | None = None
        self.auth_requests: list[tuple[str, str]] = []
        self.queries: list[tuple[str, int]] = []  # (method, code returned)
        self.session_ids = list(session_ids or [])  # one per login; then the broker's counter
        self.session_id = 0
        self.max_order_ref = max_order_ref
        self.connected = False
        self.released = False
        self.logged_out = False

    # API
    def RegisterSpi(self, spi: Any) -> None:
        self.spi = spi

    def RegisterFront(self, front: str) -> None:
        self.fronts.append(front)

    def SubscribePrivateTopic(self, mode: int) -> None:
        self.private_mode = mode

    def SubscribePublicTopic(self, mode: int) -> None:
        pass

    def Init(self) -> None:
        pass

    def Release(self) -> None:
        self.released = True
        self.thread.close()

    def ReqAuthenticate(self, req: Any, request_id: int) -> int:
        self.auth_requests.append((req.AppID, req.AuthCode))
        with self.broker.lock:
            errors = self.broker["auth_errors"]
            error = errors.pop(0) if errors else 0
            self.broker.save()
        message = {63: "CTP:客户端认证失败", 0: ""}.get(error, "CTP:认证服务暂不可用")
        self._call("OnRspAuthenticate", tdapi.CThostFtdcRspAuthenticateField(), rsp_info(error, message),
                   request_id, True)
        return 0

    def ReqUserLogin(self, req: Any, request_id: int) -> int:
        b = self.broker
        with b.lock:
            if self.session_ids:
                self.session_id = self.session_ids.pop(0)
            else:
                self.session_id = b["next_session"]
                b.state["next_session"] += 1
            b.state["sessions"].append(self.session_id)
            b.save()
        rsp = _struct("CThostFtdcRspUserLoginField", {
            "TradingDay": b["trading_day"], "FrontID": b["front_id"], "SessionID": self.session_id,
            "MaxOrderRef": self.max_order_ref, "BrokerID": req.BrokerID, "UserID": req.UserID})
        self._call("OnRspUserLogin", rsp, rsp_info(), request_id, True)
        if self.private_mode == tdapi.THOST_TERT_RESTART:
            for kind, fields in list(b["flow"]):
                self._emit(kind, fields)
        return 0

    def ReqUserLogout(self, req: Any, request_id: int) -> int:
        self.logged_out = True
        return 0

    def ReqSettlementInfoConfirm(self, req: Any, request_id: int) -> int:
        assert req.BrokerID and req.InvestorID
        self._call("OnRspSettlementInfoConfirm", tdapi.CThostFtdcSettlementInfoConfirmField(), rsp_info(),
                   request_id, True)
        return 0

    def _query(self, method: str, callback: str, kind: str, rows: list[dict[str, Any]], request_id: int) -> int:
        with self.broker.lock:
            if self.broker["throttle"] > 0:
                self.broker.state["throttle"] -= 1
                self.broker.save()
                self.queries.append((method, -3))
                return -3
        self.queries.append((method, 0))
        if not rows:
            self._call(callback, None, rsp_info(), request_id, True)
        for i, row in enumerate(rows):
            self._call(callback, _struct(kind, row), rsp_info(), request_id, i == len(rows) - 1)
        return 0

    def ReqQryInstrument(self, req: Any, request_id: int) -> int:
        return self._query("ReqQryInstrument", "OnRspQryInstrument", "CThostFtdcInstrumentField",
                           [{k: v for k, v in r.items() if k not in ("UpperLimitPrice", "LowerLimitPrice")}
                            for r in self.broker["instruments"]], request_id)

    def ReqQryDepthMarketData(self, req: Any, request_id: int) -> int:
        rows = [{"InstrumentID": r["InstrumentID"], "ExchangeID": r["ExchangeID"],
                 "UpperLimitPrice": r.get("UpperLimitPrice", 0.0), "LowerLimitPrice": r.get("LowerLimitPrice", 0.0)}
                for r in self.broker["instruments"]]
        return self._query("ReqQryDepthMarketData", "OnRspQryDepthMarketData", "CThostFtdcDepthMarketDataField",
                           rows, request_id)

    def ReqQryTradingAccount(self, req: Any, request_id: int) -> int:
        return self._query("ReqQryTradingAccount", "OnRspQryTradingAccount", "CThostFtdcTradingAccountField",
                           [{"Balance": 1_000_000.0, "Available": 900_000.0, "CurrMargin": 100_000.0,
                             "TradingDay": self.broker["trading_day"]}], request_id)

    def ReqQryInvestorPosition(self, req: Any, request_id: int) -> int:
        return self._query("ReqQryInvestorPosition", "OnRspQryInvestorPosition",
                           "CThostFtdcInvestorPositionField", self.broker["positions"], request_id)

    def ReqQryOrder(self, req: Any, request_id: int) -> int:
        return self._query("ReqQryOrder", "OnRspQryOrder", "CThostFtdcOrderField", self.broker["orders"], request_id)

    def ReqQryTrade(self, req: Any, request_id: int) -> int:
        return self._query("ReqQryTrade", "OnRspQryTrade", "CThostFtdcTradeField", self.broker["trades"], request_id)

    def ReqOrderInsert(self, req: Any, request_id: int) -> int:
        b = self.broker
        fields = {k: getattr(req, k) for k in ("InstrumentID", "ExchangeID", "OrderRef", "Direction",
                                                "CombOffsetFlag", "LimitPrice", "VolumeTotalOriginal",
                                                "OrderPriceType", "TimeCondition", "VolumeCondition")}
        with b.lock:
            if b["lose_inserts"]:
                return 0  # the request went out and the line dropped before the broker read it
            b.state["inserts"].append({**fields, "FrontID": b["front_id"], "SessionID": self.session_id})
            error = b["insert_errors"].get(fields["OrderRef"])
            if error:  # refused by CTP itself: no order record, not in the private flow
                b.save()
                if "rsp" in b["insert_error_via"]:
                    self._call("OnRspOrderInsert", _struct("CThostFtdcInputOrderField", fields),
                               rsp_info(error[0], error[1]), request_id, True)
                if "err_rtn" in b["insert_error_via"]:
                    self._call("OnErrRtnOrderInsert", _struct("CThostFtdcInputOrderField", fields),
                               rsp_info(error[0], error[1]))
                return 0
            order = {**ORDER_DEFAULTS, **fields, "FrontID": b["front_id"], "SessionID": self.session_id,
                     "OrderSysID": f"{b['next_sys_id']:>7}", "OrderStatus": "3",
                     "TradingDay": b["trading_day"]}
            refused = b["exchange_rejects"].get(fields["OrderRef"])
            if refused:  # the exchange's refusal: Canceled + InsertRejected, no OrderSysID
                order.update(OrderStatus="5", OrderSubmitStatus="4", StatusMsg=refused, OrderSysID="")
            b.state["next_sys_id"] += 1
            b.state["orders"].append(order)
            b.state["flow"].append(["order", dict(order)])
            b.save()
            if b["hold_reports"]:
                return 0  # accepted, but the connection drops before the report is sent
        self._emit("order", order)
        if b["auto_fill"]:
            self.fill(order, order["VolumeTotalOriginal"], order["LimitPrice"] or 3600.0)
        return 0

    def ReqOrderAction(self, req: Any, request_id: int) -> int:
        b = self.broker
        with b.lock:
            b.state["actions"].append({"FrontID": req.FrontID, "SessionID": req.SessionID, "OrderRef": req.OrderRef,
                                       "ExchangeID": req.ExchangeID, "OrderSysID": req.OrderSysID})
            order = b.order(req.FrontID, req.SessionID, req.OrderRef) if req.SessionID else None
            if order is None and req.OrderSysID:
                order = b.order_by_sys_id(req.OrderSysID)
            if order is not None and b["action_exchange_errors"]:
                error_id, message = b.state["action_exchange_errors"].pop(0)
                b.save()
                action = _struct("CThostFtdcOrderActionField", {
                    "FrontID": req.FrontID, "SessionID": req.SessionID, "OrderRef": req.OrderRef,
                    "ExchangeID": req.ExchangeID, "OrderSysID": req.OrderSysID, "InstrumentID": req.InstrumentID})
                self._call("OnErrRtnOrderAction", action, rsp_info(error_id, message))
                return 0
            if order is None or order["OrderStatus"] in ("0", "5"):
                b.save()
                message = "CTP:撤单找不到相应报单" if order is None else "CTP:报单已全成交或已撤销，不能再撤"
                action = _struct("CThostFtdcInputOrderActionField", {
                    "FrontID": req.FrontID, "SessionID": req.SessionID, "OrderRef": req.OrderRef,
                    "ExchangeID": req.ExchangeID, "OrderSysID": req.OrderSysID, "InstrumentID": req.InstrumentID})
                self._call("OnRspOrderAction", action, rsp_info(25 if order is None else 26, message), request_id, True)
                return 0
            order["OrderStatus"] = "5"
            order["StatusMsg"] = "已撤单"
            b.state["flow"].append(["order", dict(order)])
            b.save()
        self._emit("order", order)
        return 0

    # the script
    def connect(self) -> None:
        self.connected = True
        self._call("OnFrontConnected")

    def disconnect(self, reason: int = 0x1001) -> None:
        self.connected = False
        self._call("OnFrontDisconnected", reason)

    def heartbeat_warning(self, seconds: int) -> None:
        self._call("OnHeartBeatWarning", seconds)

    def expire(self, order: dict[str, Any]) -> None:
        """The exchange cancels what is left of an IOC order (a FOK it could not fill in full)."""
        b = self.broker
        with b.lock:
            order = b.order(order["FrontID"], order["SessionID"], order["OrderRef"]) or order
            order["OrderStatus"] = "5"
            order["StatusMsg"] = "已撤单"
            b.state["flow"].append(["order", dict(order)])
            b.save()
        self._emit("order", order)

    def fill(self, order: dict[str, Any], volume: int, price: float, *, trade_id: str | None = None,
             trade_first: bool = False, time_text: str = "09:30:00") -> dict[str, Any]:
        """The exchange fills ``volume`` of ``order``: a trade report and an order report, in either order."""
        b = self.broker
        with b.lock:
            order = b.order(order["FrontID"], order["SessionID"], order["OrderRef"]) or order
            order["VolumeTraded"] += volume
            order["OrderStatus"] = "0" if order["VolumeTraded"] >= order["VolumeTotalOriginal"] else "1"
            if order["TimeCondition"] == "1" and order["OrderStatus"] == "1":
                order["OrderStatus"] = "2"  # FAK: the rest is cancelled at once
            trade = {"InstrumentID": order["InstrumentID"], "ExchangeID": order["ExchangeID"],
                     "TradeID": trade_id or f"{len(b['trades']) + 1:>6}", "Direction": order["Direction"],
                     "OffsetFlag": order["CombOffsetFlag"], "Price": price, "Volume": volume,
                     "OrderSysID": order["OrderSysID"], "OrderRef": order["OrderRef"],
                     "TradeDate": b["trading_day"], "TradeTime": time_text, "TradingDay": b["trading_day"]}
            b.state["trades"].append(trade)
            reports = [["trade", trade], ["order", dict(order)]]
            if not trade_first:
                reports.reverse()
            b.state["flow"].extend(reports)
            b.save()
        for kind, fields in reports:
            self._emit(kind, fields)
        return trade

    def _emit(self, kind: str, fields: dict[str, Any]) -> None:
        if kind == "order":
            self._call("OnRtnOrder", _struct("CThostFtdcOrderField", fields))
        else:
            self._call("OnRtnTrade", _struct("CThostFtdcTradeField", fields))

    def _call(self, name: str, *args: Any) -> None:
        self.thread.call(lambda: getattr(self.spi, name)(*args) if self.spi is not None else None)

    def drain(self) -> None:
        self.thread.drain()
