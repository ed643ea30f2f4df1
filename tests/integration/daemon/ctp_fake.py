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

    # the API our code calls
    def RegisterSpi(self, spi: Any) -> None:
        self.spi = spi

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
        self.thread.call(lambda: self.spi.OnRtnDepthMarketData(struct))
        return True

    def quote_now(self, struct: Any) -> None:
        """Benchmark path: call the SPI directly on the caller's thread with a reused structure."""
        self.spi.OnRtnDepthMarketData(struct)

    def drain(self) -> None:
        self.thread.drain()
