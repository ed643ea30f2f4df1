"""Order intake from the Redis Stream: entries a dead consumer left pending are reclaimed, reconciled with
the broker first, and sent at most once."""
from __future__ import annotations

import redis
from ctp_fake import FakeBroker
from trading_rig import INSTRUMENTS, Rig, order

from gateway_daemon.trading.intake import OrderIntake
from shared.adapters.order_stream import GROUP, enqueue

STREAM = "orders:intake-test"


def test_pending_entries_of_a_dead_consumer_are_reclaimed_and_sent_once(db, redis_url) -> None:
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    r.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    for key in ("p1", "p2"):
        enqueue(r, STREAM, "insert", order(key))
    r.xreadgroup(GROUP, "daemon-old", {STREAM: ">"})  # read by a daemon that died before acknowledging
    enqueue(r, STREAM, "insert", order("p3"))
    enqueue(r, STREAM, "insert", order("p1"))  # a client retry of p1
    broker = FakeBroker()
    broker.state["instruments"] = INSTRUMENTS
    with Rig(db.info.dsn, redis_url, broker) as rig:
        intake = OrderIntake(redis_url, STREAM, rig.session.command, consumer="daemon-new", block_ms=50)
        rig.manager.ack = intake.ack
        intake.start()
        rig.wait_until(lambda: intake.delivered == 4)  # waits until logged in and reconciled
        assert not rig.broker["inserts"]
        rig.connect()
        rig.wait_until(lambda: r.xpending(STREAM, GROUP)["pending"] == 0)
        intake.stop()
        assert intake.reclaimed == 2
        assert sorted(i["OrderRef"] for i in broker["inserts"]) == ["1", "2", "3"]
        keys = dict(rig.rows("SELECT order_ref, idempotency_key FROM orders"))
        assert sorted(keys.values()) == ["p1", "p2", "p3"]


def test_a_row_written_but_never_sent_is_rejected_not_resent(db, redis_url) -> None:
    """The daemon died between the write-ahead row and ReqOrderInsert: the broker never saw the order."""
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    r.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    enqueue(r, STREAM, "insert", order("w1"))
    r.xreadgroup(GROUP, "daemon-old", {STREAM: ">"})
    db.execute("INSERT INTO orders (idempotency_key, user_id, account, symbol, exchange, direction, \"offset\", "
               "price_type, limit_price, volume, front_id, session_id, order_ref, status) VALUES ('w1', 'u1', "
               "'9999:000001', 'rb2405', 'SHFE', 'buy', 'open', 'limit', 3600, 1, 1, 1111, '5', 'submitting')")
    broker = FakeBroker()
    with Rig(db.info.dsn, redis_url, broker) as rig:
        intake = OrderIntake(redis_url, STREAM, rig.session.command, consumer="daemon-new", block_ms=50)
        rig.manager.ack = intake.ack
        intake.start()
        rig.connect()
        rig.wait_until(lambda: r.xpending(STREAM, GROUP)["pending"] == 0)
        intake.stop()
    assert broker["inserts"] == []
    status, reason = db.execute("SELECT status, reason FROM orders WHERE idempotency_key = 'w1'").fetchone()
    assert status == "rejected" and reason.startswith("unknown at the broker")
