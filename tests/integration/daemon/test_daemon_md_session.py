"""The market-data session against the fake front: login, batched subscription, resubscription after a
reconnect, heartbeat warnings, and quotes reaching the feed parsed."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime

from ctp_fake import FakeMdApi

from gateway_daemon.ctp.config import CtpConfig
from gateway_daemon.ctp.md_session import SUBSCRIBE_BATCH, MdSession
from gateway_daemon.feed import END_OF_SOURCE, TickFeed
from shared.domain.ctp_quotes import SH

CONFIG = CtpConfig(broker_id="9999", user_id="000001", password="pw", md_fronts=("tcp://a:1", "tcp://b:2"),
                   td_fronts=("tcp://a:3",), flow_dir="/tmp/qc-test-flow")

QUOTE = {"TradingDay": "20171113", "ActionDay": "20171113", "UpdateTime": "09:00:01", "UpdateMillisec": 500,
         "InstrumentID": "cu1801", "ExchangeID": "", "LastPrice": 54000.0, "Volume": 10, "Turnover": 2700000.0,
         "OpenInterest": 100.0, "BidPrice1": 53990.0, "BidVolume1": 3, "AskPrice1": 54010.0, "AskVolume1": 4}


def _items(feed: TickFeed) -> list:
    async def take() -> list:
        out = []
        while True:
            for item in await feed.get_batch():
                if item is END_OF_SOURCE:
                    return out
                out.append(item)
    return take()


def test_login_subscribe_in_batches_and_resubscribe_after_reconnect(capfd) -> None:
    symbols = [f"x{n:04d}" for n in range(450)] + ["cu1801"]
    front = FakeMdApi()

    async def scenario() -> list:
        feed = TickFeed(asyncio.get_running_loop())
        session = MdSession(CONFIG, symbols, api_factory=lambda flow: front, exchanges={"cu1801": "SHFE"})
        session.start(feed)
        assert front.fronts == ["tcp://a:1", "tcp://b:2"]

        def script() -> None:
            front.connect()
            front.drain()
            assert front.quote(QUOTE)
            front.disconnect()
            front.drain()
            # not subscribed on the new connection yet: the front sends nothing
            assert not front.quote({**QUOTE, "UpdateTime": "09:00:02"})
            front.heartbeat_warning(31)
            front.connect()
            front.drain()
            assert front.quote({**QUOTE, "UpdateTime": "09:00:03", "Volume": 12})
            front.drain()
            session.stop()

        collected = asyncio.create_task(_items(feed))
        await asyncio.to_thread(script)
        items = await collected
        assert session.logins == 2 and session.disconnects == 1 and session.heartbeat_warnings == 1
        assert "cu1801" in session.subscribed and len(session.subscribed) == 451
        return items

    assert front.through_director  # the quotes entered our SPI the way CTP's do: from C++, by SWIG's director
    items = asyncio.run(scenario())
    # 451 contracts in batches of 200: 200, 200, 51 at each of the two logins
    assert [len(c) for c in front.subscribe_calls] == [SUBSCRIBE_BATCH, SUBSCRIBE_BATCH, 51] * 2
    assert front.login_requests == 2
    assert [(q.ts, q.cum_volume, q.exchange) for q in items] == [
        (datetime(2017, 11, 13, 9, 0, 1, 500_000, tzinfo=SH), 10, "SHFE"),
        (datetime(2017, 11, 13, 9, 0, 3, 500_000, tzinfo=SH), 12, "SHFE")]
    assert (items[0].last_price, items[0].bid_price1, items[0].ask_volume1) == (54000.0, 53990.0, 4)
    logs = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    warning = next(r for r in logs if r["event"] == "md_heartbeat_warning")
    assert warning["level"] == "warning" and warning["seconds_since_last"] == 31
    assert any(r["event"] == "md_disconnected" and r["reason"] == "0x1001" for r in logs)


def test_login_error_is_logged_and_nothing_subscribed(capfd) -> None:
    front = FakeMdApi()
    front.login_error = 3

    async def scenario() -> None:
        feed = TickFeed(asyncio.get_running_loop())
        session = MdSession(CONFIG, ["cu1801"], api_factory=lambda flow: front)
        session.start(feed)
        await asyncio.to_thread(lambda: (front.connect(), front.drain()))
        assert not session.logged_in.is_set()
        session.stop()

    asyncio.run(scenario())
    assert front.subscribe_calls == []
    assert '"event":"md_login_failed"' in capfd.readouterr().err
