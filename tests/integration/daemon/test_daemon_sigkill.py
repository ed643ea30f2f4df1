"""SIGKILL mid-order and mid-flush: after a restart nothing is lost and nothing is duplicated, in
PostgreSQL and at the (file-backed) fake broker; then SIGTERM flushes, logs out and exits 0."""
from __future__ import annotations

import json
import os
import signal
import socket
import urllib.error
import urllib.request
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import redis
from ctp_fake import FakeBroker

from gateway_daemon.replay import load_rows
from shared.adapters.order_stream import enqueue
from shared.domain.ticks import TickCleaner

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
DATA = ROOT / "data" / "ticks_ctp_5_contracts_20171113.csv.gz"
STREAM = "orders:sigkill"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(tmp_path: Path, db_url: str, redis_url: str, broker: Path, first: int, last: int, log: str,
           health_port: int = 0, symbols: tuple[str, ...] = ()):
    env = {**os.environ, "QC_DAEMON_HEALTH_PORT": str(health_port), "QC_DATABASE_URL": db_url, "QC_REDIS_URL": redis_url,
           "QC_DAEMON_STATE_DIR": str(tmp_path / "state"), "QC_ORDER_STREAM": STREAM, "QC_WS_MANAGEMENT_URL": ""}
    env.pop("QC_DATABASE_SECRET_ID", None)
    out = open(tmp_path / log, "w")  # noqa: SIM115
    return subprocess.Popen([sys.executable, str(HERE / "fake_daemon.py"), str(broker), str(first), str(last),
                             *symbols],
                            cwd=ROOT, env=env, stderr=out, stdout=out)


def _wait(condition, timeout_s: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _journal_lines(tmp_path: Path) -> int:
    return sum(p.read_text().count("\n") for p in (tmp_path / "state" / "journal" / "pg").glob("*.jsonl"))


def _order(key: str, price: float) -> dict:
    return {"idempotency_key": key, "user_id": "u1", "symbol": "cu1801", "exchange": "SHFE", "direction": "buy",
            "offset": "open", "price_type": "limit", "volume": 1, "limit_price": price}


def test_sigkill_mid_order_and_mid_flush(db, redis_url, tmp_path) -> None:
    rows = load_rows(DATA, ["cu1801"])[:4000]
    cleaner = TickCleaner()
    expected = {(t.ts, t.seq) for t in (cleaner.clean(r) for r in rows) if t is not None}
    first_part = sum(1 for t in (TickCleaner().clean(r) for r in rows[:3000]) if t is not None)
    broker_path = tmp_path / "broker.json"
    broker = FakeBroker(broker_path, trading_day="20171113")
    broker["hold_reports"] = True  # orders reach the broker; their reports never leave before the kill
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    for n in range(5):
        enqueue(r, STREAM, "insert", _order(f"k{n}", 54000 + n))

    locker = psycopg.connect(db.info.dsn)
    locker.execute("LOCK TABLE ticks IN ACCESS EXCLUSIVE MODE")  # every tick flush now hangs mid-statement
    first = _start(tmp_path, db.info.dsn, redis_url, broker_path, 0, 3000, "run1.log")
    try:
        _wait(lambda: len(FakeBroker(broker_path)["inserts"]) == 5, what="5 orders at the broker")
        _wait(lambda: _journal_lines(tmp_path) >= first_part, what="ticks in the journal")
        time.sleep(0.3)  # a tick flush is blocked on the lock now
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        locker.rollback()
        locker.close()
    assert db.execute("SELECT count(*) FROM ticks").fetchone()[0] == 0
    assert FakeBroker(broker_path)["orders"] and len(FakeBroker(broker_path)["inserts"]) == 5

    # restart: the stream entries were acknowledged or are reclaimed; k2 is sent again by a client retry
    FakeBroker(broker_path)["hold_reports"] = False
    enqueue(r, STREAM, "insert", _order("k2", 54002))
    enqueue(r, STREAM, "insert", _order("k5", 54005))
    port = _free_port()
    second = _start(tmp_path, db.info.dsn, redis_url, broker_path, 3000, 4000, "run2.log", port)
    try:
        _wait(lambda: db.execute("SELECT count(*) FROM ticks").fetchone()[0] >= len(expected), 60, "all ticks")
        _wait(lambda: len(FakeBroker(broker_path)["inserts"]) == 6, what="k5 at the broker")
        _wait(lambda: db.execute("SELECT count(*) FROM orders WHERE status = 'queued'").fetchone()[0] == 6,
              what="6 queued orders")
        _wait(lambda: r.xpending(STREAM, "daemon")["pending"] == 0, what="every entry acknowledged")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
            health = json.loads(answer.read())
        assert answer.status == 200 and health["status"] == "ok" and health["td"]["state"] == "ready"
        assert r.ttl("daemon:heartbeat") > 0  # written at start, then every 5 s
        _wait(lambda: json.loads(r.get("daemon:heartbeat"))["td"]["state"] == "ready", 10, "a ready heartbeat")
    finally:
        second.send_signal(signal.SIGTERM)
        code = second.wait(20)
    assert code == 0
    stored = {(ts, seq) for ts, seq in db.execute("SELECT ts, seq FROM ticks WHERE symbol = 'cu1801'")}
    assert stored == expected  # nothing lost, and the primary key forbids twice
    refs = [(i["SessionID"], i["OrderRef"]) for i in FakeBroker(broker_path)["inserts"]]
    assert len(refs) == len(set(refs)) == 6  # k0..k5 once each at the broker
    keys = [k for (k,) in db.execute("SELECT idempotency_key FROM orders ORDER BY id")]
    assert sorted(keys) == ["k0", "k1", "k2", "k3", "k4", "k5"]
    logs = [json.loads(x) for x in (tmp_path / "run2.log").read_text().splitlines() if x.startswith("{")]
    events = [x["event"] for x in logs]
    assert "journal_replay_pending" in events and "td_logged_out" in events and events[-1] == "daemon_exited"


def test_sigterm_flushes_logs_out_and_exits(db, redis_url, tmp_path) -> None:
    """SIGTERM while a tick flush is stuck in PostgreSQL: the daemon stops taking data, waits for the flush,
    stores everything it took, logs out of both sessions and exits 0 with an empty journal."""
    broker_path = tmp_path / "broker.json"
    FakeBroker(broker_path, trading_day="20171113")
    locker = psycopg.connect(db.info.dsn)
    locker.execute("LOCK TABLE ticks IN ACCESS EXCLUSIVE MODE")
    daemon = _start(tmp_path, db.info.dsn, redis_url, broker_path, 0, 40000, "run.log")
    try:
        _wait(lambda: _journal_lines(tmp_path) >= 2000, what="ticks in the journal")
        _wait(lambda: FakeBroker(broker_path)["sessions"], what="the trader logged in")
        daemon.send_signal(signal.SIGTERM)
        _wait(lambda: '"stop_requested"' in (tmp_path / "run.log").read_text(), what="the signal handled")
    finally:
        locker.rollback()  # the stuck flush goes through now
        locker.close()
    assert daemon.wait(30) == 0
    logs = [json.loads(x) for x in (tmp_path / "run.log").read_text().splitlines() if x.startswith("{")]
    events = [x["event"] for x in logs]
    stopped = next(x for x in logs if x["event"] == "daemon_stopped")
    assert stopped["ticks"] > 2000 and stopped["ticks_written"] == stopped["ticks"]
    assert db.execute("SELECT count(*) FROM ticks").fetchone()[0] == stopped["ticks"]
    assert _journal_lines(tmp_path) == 0
    assert events.index("stop_requested") < events.index("md_stopped") < events.index("daemon_stopped") \
        < events.index("td_logged_out") < events.index("daemon_exited") == len(events) - 1


def _expected(symbols: list[str], last: int) -> set:
    cleaner = TickCleaner()
    return {(t.symbol, t.ts, t.seq) for t in (cleaner.clean(r) for r in load_rows(DATA, symbols)[:last])
            if t is not None}


def test_market_data_in_two_processes(db, redis_url, tmp_path) -> None:
    """QC_DAEMON_MD_PROCESSES=2: rb1805 stays in the main process (shard 0), cu1801 goes to a child with
    its own MdApi session and journal; every tick of both is stored once, and SIGTERM stops both cleanly."""
    from gateway_daemon.md_shards import shard_of

    assert (shard_of("rb1805", 2), shard_of("cu1801", 2)) == (0, 1)
    expected = _expected(["cu1801", "rb1805"], 6000)
    broker_path = tmp_path / "broker.json"
    FakeBroker(broker_path, trading_day="20171113")
    os.environ["QC_DAEMON_MD_PROCESSES"] = "2"
    try:
        daemon = _start(tmp_path, db.info.dsn, redis_url, broker_path, 0, 6000, "run.log",
                        symbols=("cu1801", "rb1805"))
    finally:
        del os.environ["QC_DAEMON_MD_PROCESSES"]
    try:
        _wait(lambda: db.execute("SELECT count(*) FROM ticks").fetchone()[0] >= len(expected), 60, "all ticks")
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(30)
    assert code == 0
    stored = set(db.execute("SELECT symbol, ts, seq FROM ticks").fetchall())
    assert stored == expected and {s for s, _, _ in stored} == {"cu1801", "rb1805"}
    logs = [json.loads(x) for x in (tmp_path / "run.log").read_text().splitlines() if x.startswith("{")]
    shard_starts = [x for x in logs if x["event"] == "md_shard_starting"]
    assert [(x["shard"], x["symbols"]) for x in shard_starts] == [(1, 1)]
    assert next(x for x in logs if x["event"] == "md_shards_stopped")["exit_codes"] == [0]
    stopped = [x for x in logs if x["event"] == "daemon_stopped"]  # one per process, each wrote what it took
    assert len(stopped) == 2 and all(x["ticks_written"] == x["ticks"] for x in stopped)
    assert sum(x["ticks"] for x in stopped) == len(expected)
    by_shard = {x.get("shard", 0): x["ticks"] for x in stopped}  # a child's lines carry its shard
    assert by_shard == {0: sum(1 for s, _, _ in expected if s == "rb1805"),
                        1: sum(1 for s, _, _ in expected if s == "cu1801")}


def test_a_child_stops_cleanly_when_the_main_process_is_killed(db, redis_url, tmp_path) -> None:
    broker_path = tmp_path / "broker.json"
    FakeBroker(broker_path, trading_day="20171113")
    os.environ["QC_DAEMON_MD_PROCESSES"] = "2"
    try:
        daemon = _start(tmp_path, db.info.dsn, redis_url, broker_path, 0, 4000, "run.log",
                        symbols=("cu1801", "rb1805"))
    finally:
        del os.environ["QC_DAEMON_MD_PROCESSES"]
    log_path = tmp_path / "run.log"
    _wait(lambda: '"md_shard_starting"' in log_path.read_text(), what="the child started")
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(10)
    _wait(lambda: '"md_shard_exited"' in log_path.read_text(), what="the child's clean exit")
    events = [json.loads(x)["event"] for x in log_path.read_text().splitlines() if x.startswith("{")]
    assert "stop_requested" in events and "md_stopped" in events


def test_health_is_503_when_a_market_data_process_died(db, redis_url, tmp_path) -> None:
    broker_path = tmp_path / "broker.json"
    FakeBroker(broker_path, trading_day="20171113")
    port = _free_port()
    os.environ["QC_DAEMON_MD_PROCESSES"] = "2"
    try:
        daemon = _start(tmp_path, db.info.dsn, redis_url, broker_path, 0, 2000, "run.log", port,
                        symbols=("cu1801", "rb1805"))
    finally:
        del os.environ["QC_DAEMON_MD_PROCESSES"]
    log_path = tmp_path / "run.log"

    def health() -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())
        except OSError:
            return 0, {}

    try:
        _wait(lambda: health()[0] == 200, what="health up")
        assert health()[1]["md"]["other_processes_alive"] == [True]
        started = next(json.loads(x) for x in log_path.read_text().splitlines() if '"md_shards_started"' in x)
        os.kill(started["pids"][0], signal.SIGKILL)
        _wait(lambda: health()[0] == 503, what="health 503")
        code, body = health()
        assert body["status"] == "failed" and body["md"]["other_processes_alive"] == [False]
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
