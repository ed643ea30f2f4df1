"""Orders through the fake front: order types, offsets, rejects decoded from GB18030, cancels, partial fills,
a trade before its order report, and the issue's cases 1 (reconnect replay) and 2 (identity across sessions)."""
from __future__ import annotations

import json

import pytest
import redis
from ctp_fake import FakeBroker
from trading_rig import ACCOUNT, INSTRUMENTS, Rig, order


def _broker() -> FakeBroker:
    broker = FakeBroker()
    broker.state["instruments"] = INSTRUMENTS
    return broker


def _order_row(rig: Rig, key: str) -> tuple:
    return rig.rows('SELECT status, volume_traded, "offset", price_type, order_ref, reason FROM orders '
                    "WHERE idempotency_key = %s", key)[0]


def test_limit_market_fak_fok_reach_the_broker_with_ctp_flags(db, redis_url) -> None:
    with Rig(db.info.dsn, redis_url, _broker()) as rig:
        rig.connect()
        rig.insert(**order("lim", volume=2, limit_price=3600))
        rig.insert(**order("mkt", symbol="IF2401", exchange="CFFEX", price_type="market", limit_price=None))
        rig.insert(**order("fak", volume=3, price_type="fak", limit_price=3601))
        rig.insert(**order("fok", volume=2, price_type="fok", limit_price=3602))
        sent = [(i["OrderRef"], i["OrderPriceType"], i["TimeCondition"], i["VolumeCondition"], i["LimitPrice"])
                for i in rig.broker["inserts"]]
        # LimitPrice/GFD/any volume; AnyPrice/IOC; LimitPrice/IOC/any; LimitPrice/IOC/complete
        assert sent == [("1", "2", "3", "1", 3600.0), ("2", "1", "1", "1", 0.0), ("3", "2", "1", "1", 3601.0),
                        ("4", "2", "1", "3", 3602.0)]
        assert _order_row(rig, "lim")[:2] == ("queued", 0)
        # FAK partly filled: 1 of 3 traded, the rest cancelled by the exchange
        fak = rig.broker["orders"][2]
        rig.api.fill(fak, 1, 3601.0)
        rig.settle()
        assert _order_row(rig, "fak")[:2] == ("cancelled", 1)
        # a limit order filled in two parts
        lim = rig.broker["orders"][0]
        rig.api.fill(lim, 1, 3600.0)
        rig.settle()
        assert _order_row(rig, "lim")[:2] == ("partially_filled", 1)
        rig.api.fill(lim, 1, 3599.0)
        rig.settle()
        assert _order_row(rig, "lim")[:2] == ("filled", 2)
        # the FOK could not be filled in full: the exchange cancels all of it
        rig.api.expire(rig.broker["orders"][3])
        rig.settle()
        assert _order_row(rig, "fok")[:2] == ("cancelled", 0)
        assert rig.acked == ["1-1", "1-2", "1-3", "1-4"]


def test_market_order_on_shfe_is_refused_before_the_broker(db, redis_url) -> None:
    with Rig(db.info.dsn, redis_url, _broker()) as rig:
        rig.connect()
        rig.insert(**order("m", price_type="market", limit_price=None))
        status, _, _, _, ref, reason = _order_row(rig, "m")
        assert status == "rejected" and ref is None and "SHFE accepts no market orders" in reason
        assert rig.broker["inserts"] == []


def test_shfe_close_becomes_close_today_or_close_yesterday(db, redis_url) -> None:
    broker = _broker()
    broker.state["positions"] = [{"InstrumentID": "rb2405", "ExchangeID": "SHFE", "PosiDirection": "2",
                                  "Position": 1, "TodayPosition": 0, "YdPosition": 1, "PreSettlementPrice": 3500.0}]
    with Rig(db.info.dsn, redis_url, broker) as rig:
        rig.connect()
        rig.insert(**order("o1", volume=2))
        rig.api.fill(rig.broker["orders"][0], 2, 3600.0)
        rig.settle()
        rig.insert(**order("c1", direction="sell", offset="close", volume=1, limit_price=3610))  # yesterday's lot
        rig.insert(**order("c2", direction="sell", offset="close", volume=2, limit_price=3610))  # only today covers 2
        rig.insert(**order("c3", direction="sell", offset="close_today", volume=5, limit_price=3610))
        assert [i["CombOffsetFlag"] for i in rig.broker["inserts"]] == ["0", "4", "3"]  # open, close-yesterday, close-today
        assert "only 2 are held" in _order_row(rig, "c3")[5]


@pytest.mark.parametrize("via", [["rsp", "err_rtn"], ["rsp"], ["err_rtn"]],
                         ids=["both", "OnRspOrderInsert", "OnErrRtnOrderInsert"])
def test_rejects_are_decoded_from_gb18030(db, redis_url, via: list[str]) -> None:
    broker = _broker()
    broker.state["insert_errors"] = {"2": [31, "CTP:资金不足"]}
    broker.state["insert_error_via"] = via
    sub = redis.Redis.from_url(redis_url, decode_responses=True).pubsub()
    sub.subscribe("order.u1")
    with Rig(db.info.dsn, redis_url, broker) as rig:
        rig.connect()
        rig.insert(**order("ok"))
        rig.insert(**order("poor", volume=100))
        status, _, _, _, ref, reason = _order_row(rig, "poor")
        assert (status, ref, reason) == ("rejected", "2", "CTP:资金不足 (CTP error 31)")
        # cancelling an order twice: the broker's refusal comes back through OnRspOrderAction
        rig.cancel(idempotency_key="ok", user_id="u1")
        assert _order_row(rig, "ok")[0] == "cancelled"
        rig.cancel(idempotency_key="ok", user_id="u1")
        refused = [m["data"] for _, m in rig.events.published if m["data"]["type"] == "cancel_rejected"]
        assert refused[0]["reason"] == "CTP:报单已全成交或已撤销，不能再撤 (CTP error 26)"
    events = []
    while (m := sub.get_message(timeout=0.2)) is not None:
        if m["type"] == "message":
            events.append(json.loads(m["data"]))
    rejected = [e for e in events if e["type"] == "order" and e["status"] == "rejected"]
    assert rejected and rejected[0]["reason"] == "CTP:资金不足 (CTP error 31)"


def test_exchange_refusals_arrive_as_reports_and_are_decoded(db, redis_url) -> None:
    """Accepted by CTP, refused by the exchange: OnRtnOrder (InsertRejected) for an order,
    OnErrRtnOrderAction for a cancel; both reasons in GB18030."""
    broker = _broker()
    broker.state["exchange_rejects"] = {"2": "交易所拒绝：不在交易时段"}
    broker.state["action_exchange_errors"] = [[26, "CTP:交易所撤单拒绝：报单已全部成交"]]
    with Rig(db.info.dsn, redis_url, broker) as rig:
        rig.connect()
        rig.insert(**order("resting"))
        rig.insert(**order("closed-market"))
        status, _, _, _, ref, reason = _order_row(rig, "closed-market")
        assert (status, ref, reason) == ("rejected", "2", "交易所拒绝：不在交易时段")
        rig.cancel(idempotency_key="resting", user_id="u1")
        assert _order_row(rig, "resting")[0] == "queued"  # still resting: the cancel was refused
        refused = [m["data"] for _, m in rig.events.published if m["data"]["type"] == "cancel_rejected"]
        assert [r["reason"] for r in refused] == ["CTP:交易所撤单拒绝：报单已全部成交 (CTP error 26)"]


def test_a_trade_reported_before_its_order(db, redis_url) -> None:
    with Rig(db.info.dsn, redis_url, _broker()) as rig:
        rig.connect()
        rig.broker["hold_reports"] = True  # the order's own report is late
        rig.insert(**order("t", volume=3))
        assert _order_row(rig, "t")[:2] == ("submitting", 0)
        rig.broker["hold_reports"] = False
        held = rig.broker["orders"][0]
        rig.api.fill(held, 2, 3600.0, trade_first=True)  # the fill, and only then the order report
        rig.settle()
        assert _order_row(rig, "t")[:2] == ("partially_filled", 2)
        assert rig.rows("SELECT trade_id, volume, order_sys_id FROM trades") == [("1", 2, "  88001")]
        kinds = [m["data"]["type"] for _, m in rig.events.published]
        assert kinds.count("trade") == 1


def test_case_2_identity_across_sessions(db, redis_url) -> None:
    broker = _broker()
    with Rig(db.info.dsn, redis_url, broker, session_ids=[1234567]) as a:  # session A
        a.connect()
        for key in ("a1", "a2", "a3"):
            a.insert(**order(key))
        assert [(o["SessionID"], o["OrderRef"], o["OrderSysID"]) for o in broker["orders"]][0] == \
            (1234567, "1", "  88001")
    # the daemon restarts: session B, same front
    with Rig(db.info.dsn, redis_url, broker, session_ids=[7654321], max_order_ref="0") as b:
        b.connect()
        b.insert(**order("b1"))
        b.insert(**order("b2"))
        refs = b.rows("SELECT front_id, session_id, order_ref, idempotency_key FROM orders ORDER BY id")
        assert refs == [(1, 1234567, "1", "a1"), (1, 1234567, "2", "a2"), (1, 1234567, "3", "a3"),
                        (1, 7654321, "1", "b1"), (1, 7654321, "2", "b2")]  # 1:7654321:1 is not 1:1234567:1
        b.cancel(idempotency_key="a1", user_id="u1")
        assert broker["actions"] == [{"FrontID": 1, "SessionID": 1234567, "OrderRef": "1", "ExchangeID": "SHFE",
                                      "OrderSysID": "  88001"}]
        statuses = dict(b.rows("SELECT idempotency_key, status FROM orders"))
        assert statuses == {"a1": "cancelled", "a2": "queued", "a3": "queued", "b1": "queued", "b2": "queued"}
    # B reconnects into the same session id with a MaxOrderRef below what it used: refs continue above both
    with Rig(db.info.dsn, redis_url, broker, session_ids=[7654321], max_order_ref="1") as b2:
        b2.connect()
        b2.insert(**order("b3"))
        assert broker["inserts"][-1]["OrderRef"] == "3"
    with Rig(db.info.dsn, redis_url, broker, session_ids=[5555], max_order_ref="10") as c:
        c.connect()
        c.insert(**order("c1"))
        assert broker["inserts"][-1]["OrderRef"] == "11"  # above the login's MaxOrderRef


@pytest.mark.parametrize("broker_got_it", [True, False], ids=["report-replayed", "never-reached-broker"])
def test_case_1_reconnect_replay(db, redis_url, broker_got_it: bool) -> None:
    broker = _broker()
    with Rig(db.info.dsn, redis_url, broker, max_order_ref="6") as rig:
        rig.connect()
        rig.insert(**order("o7", volume=2, limit_price=3600))
        rig.api.fill(broker["orders"][0], 2, 3600.0, trade_id="1001", time_text="10:01:00")
        rig.settle()
        rig.insert(**order("o8", direction="sell", offset="close", volume=1, limit_price=3610))
        rig.api.fill(broker["orders"][1], 1, 3610.0, trade_id="1002", time_text="10:02:00")
        rig.settle()
        # 11:29:59.9: order 9 goes out (ReqOrderInsert returns 0), no report before the drop
        broker["hold_reports" if broker_got_it else "lose_inserts"] = True
        rig.insert(**order("o9", volume=1, limit_price=3620))
        assert rig.manager.sent == ["7", "8", "9"]
        rig.api.disconnect()  # 11:30
        rig.settle()
        broker["hold_reports"] = broker["lose_inserts"] = False
        rig.connect()  # 13:20: new session, private topic in RESTART mode replays 1001 and 1002
        assert rig.session.logins == 2
        if broker_got_it:
            assert _order_row(rig, "o9")[0] == "queued"  # resolved from the replayed report
            rig.api.fill(broker["orders"][2], 1, 3620.0, trade_id="1003", time_text="13:30:00")
        else:
            status, _, _, _, _, reason = _order_row(rig, "o9")
            assert status == "rejected" and reason.startswith("unknown at the broker")
            rig.insert(**order("o10", volume=1, limit_price=3620))
            rig.api.fill(broker["orders"][-1], 1, 3620.0, trade_id="1003", time_text="13:30:00")
        rig.settle()
        assert rig.manager.sent.count("9") == 1
        assert sum(1 for i in broker["inserts"] if i["OrderRef"] == "9") == (1 if broker_got_it else 0)
    trades = rig.rows('SELECT trade_id, direction, "offset", price, volume FROM trades ORDER BY traded_at')
    assert [t[0] for t in trades] == ["1001", "1002", "1003"]
    assert rig.rows("SELECT direction, today, yesterday, realised_pnl FROM positions WHERE account = %s "
                    "AND symbol = 'rb2405'", ACCOUNT) == [("long", 2, 0, 100.0)]  # (3610 - 3600) x 1 x 10


def test_reports_wait_while_postgres_is_away_and_are_stored_in_order(db, redis_url) -> None:
    with Rig(db.info.dsn, redis_url, _broker()) as rig:
        rig.connect()
        rig.insert(**order("pg", volume=2))
        real_url = rig.manager._url
        rig.manager._url, rig.manager._conn = "postgresql://postgres@127.0.0.1:1/nowhere", None  # database away
        rig.api.fill(rig.broker["orders"][0], 1, 3600.0, trade_id="7001")
        rig.api.fill(rig.broker["orders"][0], 1, 3601.0, trade_id="7002")
        rig.settle()
        assert rig.rows("SELECT count(*) FROM trades") == [(0,)]
        rig.manager._url = real_url  # back
        rig.wait_until(lambda: not rig.session._stalled, timeout_s=5)
        assert rig.rows("SELECT trade_id FROM trades ORDER BY trade_id") == [("7001",), ("7002",)]
        assert _order_row(rig, "pg")[:2] == ("filled", 2)
