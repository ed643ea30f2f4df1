"""A trader session + order manager wired to the fake front, with helpers to wait for quiet."""
from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
from ctp_fake import FakeBroker, FakeTraderApi

from gateway_daemon.ctp.config import CtpConfig
from gateway_daemon.ctp.td_session import TraderSession
from gateway_daemon.trading.events import EventPublisher
from gateway_daemon.trading.manager import OrderManager

CONFIG = CtpConfig(broker_id="9999", user_id="000001", password="pw", app_id="quantcloud_1.0",
                   auth_code="0000000000000000", md_fronts=("tcp://md:1",), td_fronts=("tcp://td:1", "tcp://td:2"),
                   flow_dir="/tmp/qc-test-flow")
ACCOUNT = CONFIG.account

INSTRUMENTS = [
    {"InstrumentID": "rb2405", "ExchangeID": "SHFE", "InstrumentName": "螺纹钢2405", "ProductID": "rb",
     "ProductClass": "1", "VolumeMultiple": 10, "PriceTick": 1.0, "OpenDate": "20230516", "ExpireDate": "20240515",
     "MaxMarketOrderVolume": 30, "MaxLimitOrderVolume": 500, "IsTrading": 1,
     "UpperLimitPrice": 3890.0, "LowerLimitPrice": 3380.0},
    {"InstrumentID": "IF2401", "ExchangeID": "CFFEX", "InstrumentName": "沪深300指数2401", "ProductID": "IF",
     "ProductClass": "1", "VolumeMultiple": 300, "PriceTick": 0.2, "OpenDate": "20231120", "ExpireDate": "20240119",
     "MaxMarketOrderVolume": 10, "MaxLimitOrderVolume": 20, "IsTrading": 1,
     "UpperLimitPrice": 3700.0, "LowerLimitPrice": 3030.0},
    {"InstrumentID": "IO2401-C-3500", "ExchangeID": "CFFEX", "InstrumentName": "期权", "ProductID": "IO",
     "ProductClass": "2", "VolumeMultiple": 100, "PriceTick": 0.2, "OpenDate": "20231120", "ExpireDate": "20240119",
     "MaxMarketOrderVolume": 10, "MaxLimitOrderVolume": 20, "IsTrading": 1},
]


class Rig:
    def __init__(self, database_url: str, redis_url: str | None, broker: FakeBroker, *,
                 session_ids: list[int] | None = None, max_order_ref: str = "0", auth_retry_s: float = 0.05) -> None:
        self.broker = broker
        self.api = FakeTraderApi(broker, session_ids=session_ids, max_order_ref=max_order_ref)
        self.events = EventPublisher(redis_url)
        self.acked: list[str] = []
        self.manager = OrderManager(database_url, self.events, account=ACCOUNT, ack=self.acked.append)
        self.session = TraderSession(CONFIG, self.manager, api_factory=lambda flow: self.api, query_interval_s=0.0,
                                     auth_retry_s=auth_retry_s)
        self.database_url = database_url
        self._entry = 0
        self.posted = 0  # messages for the session thread, besides the rig's own sync calls
        post = self.session.post

        def counting_post(kind: str, *args: Any) -> None:
            if kind != "call":
                self.posted += 1
            post(kind, *args)

        self.session.post = counting_post  # type: ignore[method-assign]

    def __enter__(self) -> Rig:
        self.session.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.stop()

    def sync(self) -> None:
        done = threading.Event()
        self.session.call(done.set)
        assert done.wait(5), "session thread stuck"

    def settle(self, extra_s: float = 0.0) -> None:
        """Wait until the fake front and the session thread have nothing left to do."""
        deadline = time.monotonic() + 10
        quiet = 0
        while quiet < 2:
            assert time.monotonic() < deadline, "never settled"
            posted = self.posted
            self.api.drain()
            self.sync()  # everything posted before this is handled now
            # quiet only if nothing was posted meanwhile: a message posted after the sync call may be in
            # hand on the session thread, which an empty inbox would not show
            busy = self.api.thread._queue.unfinished_tasks or not self.session.queries.idle or self.posted != posted
            quiet = 0 if busy else quiet + 1
            if busy:
                time.sleep(0.01)
        if extra_s:
            time.sleep(extra_s)
            self.settle()

    def wait_until(self, condition: Any, timeout_s: float = 5.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert time.monotonic() < deadline, "condition never held"
            time.sleep(0.005)
        self.settle()

    def connect(self) -> None:
        self.api.connect()
        self.settle()

    def insert(self, **fields: Any) -> str:
        self._entry += 1
        entry_id = f"1-{self._entry}"
        self.session.command("insert", (entry_id, fields))
        self.settle()
        return entry_id

    def cancel(self, **fields: Any) -> str:
        self._entry += 1
        entry_id = f"2-{self._entry}"
        self.session.command("cancel", (entry_id, fields))
        self.settle()
        return entry_id

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()


def order(key: str, symbol: str = "rb2405", exchange: str = "SHFE", direction: str = "buy", offset: str = "open",
          price_type: str = "limit", volume: int = 1, limit_price: float | None = 3600.0,
          user_id: str = "u1") -> dict[str, Any]:
    fields = {"idempotency_key": key, "user_id": user_id, "symbol": symbol, "exchange": exchange,
              "direction": direction, "offset": offset, "price_type": price_type, "volume": volume}
    if limit_price is not None:
        fields["limit_price"] = limit_price
    return fields
