"""The market-data session: fronts, login, batched subscription, resubscription after every reconnect.

``MdSession`` is a ``MarketSource``: CTP calls ``MdSpi`` on its own thread;
each DepthMarketData is read there (in one Python thread state for that thread:
``thread_state``) into a parsed ``Quote`` (or, when the fast
parser does not take it, a fields dict: see ``depth.DepthQuotes``) and handed to
the loop through ``TickFeed.put`` (``call_soon_threadsafe``); the structure is
never touched after the callback.
CTP reconnects by itself after ``OnFrontDisconnected``; every
``OnFrontConnected`` logs in again and every login subscribes everything again
(a CTP subscription does not survive a reconnect).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from gateway_daemon.ctp.config import CtpConfig
from gateway_daemon.ctp.depth import DepthQuotes
from gateway_daemon.ctp.structs import rsp_error
from gateway_daemon.ctp.thread_state import keep_thread_state
from gateway_daemon.feed import END_OF_SOURCE, TickFeed
from gateway_daemon.logs import log
from shared.domain.ctp_quotes import Quote

SUBSCRIBE_BATCH = 200  # contracts per SubscribeMarketData call; brokers throttle huge single calls


def _base() -> type:
    from openctp_ctp import mdapi  # after the locale check (see gateway_daemon.ctp)

    return mdapi.CThostFtdcMdSpi


def _login_field(config: CtpConfig) -> Any:
    from openctp_ctp import mdapi

    req = mdapi.CThostFtdcReqUserLoginField()
    req.BrokerID, req.UserID, req.Password = config.broker_id, config.user_id, config.password
    return req


def create_md_api(flow_dir: str) -> Any:
    from openctp_ctp import mdapi

    return mdapi.CThostFtdcMdApi.CreateFtdcMdApi(flow_dir)


class MdSession:
    """Connects, logs in, subscribes ``symbols`` and puts each quote into the feed."""

    def __init__(self, config: CtpConfig, symbols: Sequence[str], *,
                 api_factory: Callable[[str], Any] = create_md_api,
                 exchanges: dict[str, str] | None = None) -> None:
        self.config = config
        self.symbols = list(dict.fromkeys(symbols))
        self.exchanges = exchanges if exchanges is not None else {}  # MD often leaves ExchangeID empty
        self._api_factory = api_factory
        self._api: Any = None
        self._spi: Any = None
        self._feed: TickFeed | None = None
        self._request_id = 0
        self.connected = threading.Event()
        self.logged_in = threading.Event()
        self.logins = 0
        self.disconnects = 0
        self.heartbeat_warnings = 0
        self.received = 0
        self.subscribed: set[str] = set()
        self.trading_day = ""

    # MarketSource
    def start(self, feed: TickFeed) -> None:
        import os

        os.makedirs(self.config.flow_dir + "/md", exist_ok=True)
        self._feed = feed
        self._api = self._api_factory(self.config.flow_dir + "/md/")
        self._spi = _make_spi(self)
        self._api.RegisterSpi(self._spi)
        for front in self.config.md_fronts:
            self._api.RegisterFront(front)
        log("md_starting", fronts=list(self.config.md_fronts), symbols=len(self.symbols))
        self._api.Init()

    def stop(self) -> None:
        api, self._api = self._api, None
        if api is not None:
            if self.logged_in.is_set():
                from openctp_ctp import mdapi

                out = mdapi.CThostFtdcUserLogoutField()
                out.BrokerID, out.UserID = self.config.broker_id, self.config.user_id
                api.ReqUserLogout(out, self._next_id())
            api.RegisterSpi(None)
            api.Release()
            log("md_stopped", received=self.received, logins=self.logins, disconnects=self.disconnects)
        if self._feed is not None:
            self._feed.mark(END_OF_SOURCE)

    def add_symbols(self, symbols: Sequence[str]) -> None:
        """More contracts (e.g. from the instrument query); subscribed now if logged in, and after every login."""
        new = [s for s in symbols if s not in self.symbols]
        self.symbols.extend(new)
        if new and self.logged_in.is_set():
            self._subscribe(new)

    def _next_id(self) -> int:
        self._request_id += 1
        return self._request_id

    # called by MdSpi on the CTP thread
    def on_connected(self) -> None:
        self.connected.set()
        log("md_connected")
        ret = self._api.ReqUserLogin(_login_field(self.config), self._next_id()) if self._api else -1
        if ret != 0:
            log("md_login_request_failed", "warning", code=ret)

    def on_disconnected(self, reason: int) -> None:
        self.connected.clear()
        self.logged_in.clear()
        self.subscribed.clear()
        self.disconnects += 1
        # CTP keeps reconnecting on its own; the next OnFrontConnected logs in and resubscribes
        log("md_disconnected", "warning", reason=hex(reason))

    def on_heartbeat_warning(self, lapse_s: int) -> None:
        self.heartbeat_warnings += 1
        log("md_heartbeat_warning", "warning", seconds_since_last=lapse_s)

    def on_login(self, info: Any, error: tuple[int, str] | None) -> None:
        if error is not None:
            log("md_login_failed", "error", error_id=error[0], message=error[1])
            return
        self.logins += 1
        self.trading_day = str(getattr(info, "TradingDay", "") or "")
        self.logged_in.set()
        log("md_logged_in", trading_day=self.trading_day, logins=self.logins)
        self._subscribe(self.symbols)

    def _subscribe(self, symbols: Sequence[str]) -> None:
        for i in range(0, len(symbols), SUBSCRIBE_BATCH):
            batch = [s.encode() for s in symbols[i:i + SUBSCRIBE_BATCH]]
            ret = self._api.SubscribeMarketData(batch, len(batch)) if self._api else -1
            if ret != 0:
                log("md_subscribe_failed", "warning", code=ret, symbols=len(batch))

    def on_subscribed(self, symbol: str, error: tuple[int, str] | None) -> None:
        if error is not None:
            log("md_subscribe_rejected", "warning", symbol=symbol, error_id=error[0], message=error[1])
            return
        self.subscribed.add(symbol)

    def on_quote(self, quote: Quote | dict[str, Any]) -> None:
        self.received += 1
        if self._feed is not None:
            self._feed.put(quote)


def _make_spi(session: MdSession) -> Any:
    from openctp_ctp import mdapi

    base = _base()
    read_quote = DepthQuotes(mdapi.CThostFtdcDepthMarketDataField, session.exchanges)

    class MdSpi(base):  # type: ignore[misc, valid-type]
        """Thin: read the structure, hand it to the session."""

        def OnFrontConnected(self) -> None:
            keep_thread_state()
            session.on_connected()

        def OnFrontDisconnected(self, nReason: int) -> None:
            keep_thread_state()
            session.on_disconnected(nReason)

        def OnHeartBeatWarning(self, nTimeLapse: int) -> None:
            session.on_heartbeat_warning(nTimeLapse)

        def OnRspUserLogin(self, pRspUserLogin: Any, pRspInfo: Any, nRequestID: int, bIsLast: bool) -> None:
            session.on_login(pRspUserLogin, rsp_error(pRspInfo))

        def OnRspSubMarketData(self, pSpecificInstrument: Any, pRspInfo: Any, nRequestID: int,
                               bIsLast: bool) -> None:
            symbol = pSpecificInstrument.InstrumentID if pSpecificInstrument is not None else ""
            session.on_subscribed(symbol, rsp_error(pRspInfo))

        def OnRspError(self, pRspInfo: Any, nRequestID: int, bIsLast: bool) -> None:
            error = rsp_error(pRspInfo)
            log("md_error", "warning", error_id=error and error[0], message=error and error[1])

        def OnRtnDepthMarketData(self, pDepthMarketData: Any) -> None:
            keep_thread_state()  # one Python thread state for CTP's thread, not one per tick
            if pDepthMarketData is not None:
                session.on_quote(read_quote(pDepthMarketData))

    return MdSpi()
