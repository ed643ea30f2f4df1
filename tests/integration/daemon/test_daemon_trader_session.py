"""The trader session against the fake front: authenticate, login, confirm, queries into PostgreSQL,
query flow control, and case 3 (authentication retry; only ErrorID 63 stops)."""
from __future__ import annotations

import json
from datetime import date

from ctp_fake import FakeBroker
from trading_rig import ACCOUNT, INSTRUMENTS, Rig


def _logs(capfd) -> list[dict]:
    return [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]


def test_login_sequence_and_queries_fill_the_tables(db, redis_url) -> None:
    broker = FakeBroker()
    broker.state["instruments"] = INSTRUMENTS
    broker.state["positions"] = [
        {"InstrumentID": "rb2405", "ExchangeID": "SHFE", "PosiDirection": "2", "Position": 3, "TodayPosition": 0,
         "YdPosition": 3, "PreSettlementPrice": 3550.0},
        {"InstrumentID": "IF2401", "ExchangeID": "CFFEX", "PosiDirection": "3", "Position": 1, "TodayPosition": 0,
         "YdPosition": 1, "PreSettlementPrice": 3400.0}]
    broker.state["throttle"] = 2  # the first two queries are answered -3: queued and retried
    with Rig(db.info.dsn, redis_url, broker) as rig:
        rig.connect()
        assert rig.api.fronts == ["tcp://td:1", "tcp://td:2"]  # CTP picks one and fails over to the other
        assert rig.api.private_mode == 0  # THOST_TERT_RESTART: today's reports again after every connect
        assert rig.api.auth_requests == [("quantcloud_1.0", "0000000000000000")]
        assert rig.session.state == "ready" and rig.session.confirmations == 1
        assert [q for q, _ in rig.api.queries] == [
            "ReqQryInstrument", "ReqQryInstrument", "ReqQryInstrument", "ReqQryDepthMarketData",
            "ReqQryTradingAccount", "ReqQryInvestorPosition", "ReqQryOrder", "ReqQryTrade"]
        assert [c for _, c in rig.api.queries][:3] == [-3, -3, 0]
        # options (ProductClass 2) are not stored
        rows = rig.rows("SELECT symbol, exchange, product, multiplier, price_tick, name, expire_date, upper_limit, "
                        "lower_limit FROM instruments ORDER BY symbol")
        assert rows == [("IF2401", "CFFEX", "IF", 300.0, 0.2, "沪深300指数2401", date(2024, 1, 19), 3700.0, 3030.0),
                        ("rb2405", "SHFE", "rb", 10.0, 1.0, "螺纹钢2405", date(2024, 5, 15), 3890.0, 3380.0)]
        assert rig.rows("SELECT balance, available, margin FROM accounts WHERE account = %s", ACCOUNT) == [
            (1_000_000.0, 900_000.0, 100_000.0)]
        # a buy-open today on top of yesterday's 3 long: the split is 1 today / 3 yesterday
        rig.insert(idempotency_key="k1", user_id="u1", symbol="rb2405", exchange="SHFE", direction="buy",
                   offset="open", price_type="limit", volume=1, limit_price=3600)
        rig.api.fill(rig.broker["orders"][0], 1, 3600.0)
        rig.settle()
        assert rig.rows("SELECT symbol, direction, today, yesterday FROM positions ORDER BY symbol") == [
            ("IF2401", "short", 0, 1), ("rb2405", "long", 1, 3)]


def test_case_3_auth_error_then_success_on_the_next_connect(db, redis_url, capfd) -> None:
    broker = FakeBroker()
    broker.state["auth_errors"] = [90]  # 13:25: the broker's authentication service fails (not 63)
    with Rig(db.info.dsn, redis_url, broker, auth_retry_s=60) as rig:
        rig.api.connect()
        rig.wait_until(lambda: rig.session.state == "connected" and rig.session._retry_auth_at is not None)
        assert not rig.session.ready.is_set() and len(rig.api.auth_requests) == 1
        rig.api.disconnect()
        rig.wait_until(lambda: rig.session.state == "disconnected")
        rig.api.heartbeat_warning(45)
        rig.connect()  # 13:26: the front connects again: authenticate, login, confirm again
        assert rig.session.state == "ready"
        assert len(rig.api.auth_requests) == 2 and rig.session.logins == 1 and rig.session.confirmations == 1
        # a later drop and reconnect goes through the whole sequence once more
        rig.api.disconnect()
        rig.connect()
        assert len(rig.api.auth_requests) == 3 and rig.session.logins == 2 and rig.session.confirmations == 2
    logs = _logs(capfd)
    failed = next(r for r in logs if r["event"] == "td_authenticate_failed")
    assert failed["error_id"] == 90 and failed["message"] == "CTP:认证服务暂不可用"  # decoded from GB18030
    assert not any(r["event"] == "ctp_auth_rejected" for r in logs)
    warning = next(r for r in logs if r["event"] == "td_heartbeat_warning")
    assert warning["level"] == "warning" and warning["seconds_since_last"] == 45


def test_auth_error_is_retried_while_connected(db, redis_url) -> None:
    broker = FakeBroker()
    broker.state["auth_errors"] = [90, 90]
    with Rig(db.info.dsn, redis_url, broker, auth_retry_s=0.05) as rig:
        rig.api.connect()
        rig.wait_until(lambda: rig.session.state == "ready")
        assert len(rig.api.auth_requests) == 3


def test_error_63_stops_retrying_with_an_alert(db, redis_url, capfd) -> None:
    broker = FakeBroker()
    broker.state["auth_errors"] = [63]
    with Rig(db.info.dsn, redis_url, broker, auth_retry_s=0.01) as rig:
        rig.api.connect()
        rig.wait_until(lambda: rig.session.auth_fatal)
        rig.settle(extra_s=0.1)
        rig.api.disconnect()
        rig.connect()
        assert rig.api.auth_requests == [("quantcloud_1.0", "0000000000000000")]  # never again
        assert rig.session.auth_fatal and not rig.session.ready.is_set()
    alerts = [r for r in _logs(capfd) if r["event"] == "ctp_auth_rejected"]
    assert alerts[0]["level"] == "critical" and alerts[0]["error_id"] == 63
    assert alerts[0]["message"] == "CTP:客户端认证失败"
