"""CTP query flow control with a fake clock: one in flight, one per interval, -2/-3 retried later."""
from __future__ import annotations

from gateway_daemon.ctp.query_queue import QueryQueue


def test_one_query_per_second_and_one_in_flight() -> None:
    codes = {"a": [0], "b": [-3, -2, 0], "c": [0]}
    q = QueryQueue(interval_s=1.0, answer_timeout_s=30)
    for name in codes:
        q.add(name, lambda name=name: codes[name].pop(0))
    q.pump(0.0)
    assert q.sent == ["a"]
    q.pump(1.5)  # a not answered yet
    assert q.sent == ["a"]
    q.done("a")
    q.pump(1.6)
    assert q.sent == ["a", "b"]  # -3: stays first
    q.pump(2.0)
    assert q.sent == ["a", "b"]  # not before a second has passed
    q.pump(2.6)
    q.pump(3.6)
    assert q.sent == ["a", "b", "b", "b"] and q.retries == 2
    q.pump(9.0)
    assert q.sent[-1] == "b"  # b (sent at 3.6) is in flight
    q.done("b")
    q.pump(9.0)
    assert q.sent[-1] == "c"
    q.done("c")
    assert q.idle


def test_an_unanswered_query_times_out() -> None:
    q = QueryQueue(interval_s=1.0, answer_timeout_s=5)
    q.add("a", lambda: 0)
    q.add("b", lambda: 0)
    q.pump(0)
    q.pump(4.9)
    assert q.sent == ["a"]
    q.pump(5.0)
    assert q.sent == ["a", "b"]
