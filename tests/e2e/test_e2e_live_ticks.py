"""The daemon replays real ticks; a real WebSocket client receives them; PostgreSQL and Redis keep them.

Expected values come from the source CSV (and data/README.md), never from the code under test.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import psycopg
import pytest
import redis
from websockets.asyncio.client import connect

from infra.local.emulation import TICKS_FILE, DaemonConfig, Emulation

pytestmark = pytest.mark.e2e
SH = ZoneInfo("Asia/Shanghai")
SYMBOLS = ("cu1801", "IF1711")
TOPICS = ["tick.cu1801", "tick.IF1711", "bar.cu1801"]


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    frame = pd.read_csv(TICKS_FILE, dtype={"TradingDay": str, "ActionDay": str})
    frame = frame[frame["InstrumentID"].isin(SYMBOLS)].copy()
    frame["ts"] = [
        (datetime.strptime(f"{d} {t}", "%Y%m%d %H:%M:%S") + timedelta(milliseconds=int(ms))).replace(tzinfo=SH)
        for d, t, ms in zip(frame["ActionDay"], frame["UpdateTime"], frame["UpdateMillisec"], strict=True)]
    return frame


@pytest.fixture(scope="module")
def replay(emulation: Emulation, token: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Subscribe first, then replay cu1801 and IF1711 as fast as possible; collect what the client gets."""
    log_path = tmp_path_factory.mktemp("daemon") / "daemon.log"
    published: dict[str, int] = {}
    pubsub = redis.Redis.from_url(emulation.settings.redis_url).pubsub()

    def count(message: dict[str, Any]) -> None:
        channel = message["channel"].decode()
        published[channel] = published.get(channel, 0) + 1

    pubsub.subscribe(**{"tick.IF1711": count, "bar.IF1711": count})
    listener = pubsub.run_in_thread(sleep_time=0.05, daemon=True)

    async def run() -> dict[str, Any]:
        messages: list[dict[str, Any]] = []
        async with connect(f"{emulation.config.ws_url}?token={token}", max_queue=None) as ws:
            await ws.send(json.dumps({"action": "subscribe", "topics": TOPICS}))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
            started = time.monotonic()
            proc = emulation.start_daemon(DaemonConfig(speed=1e9, loop=False, symbols=SYMBOLS, log_path=log_path))
            while proc.poll() is None and time.monotonic() - started < 60:
                try:
                    messages.append(json.loads(await asyncio.wait_for(ws.recv(), 0.2)))
                except TimeoutError:
                    pass
            elapsed_s = time.monotonic() - started
            for _ in range(10):  # the last flush may land just after the daemon exits
                try:
                    messages.append(json.loads(await asyncio.wait_for(ws.recv(), 0.3)))
                except TimeoutError:
                    break
        return {"ack": ack, "messages": messages, "exit_code": emulation.stop_daemon(), "elapsed_s": elapsed_s}

    result = asyncio.run(run())
    time.sleep(0.3)  # the last published messages
    listener.stop()
    result["published"] = published
    result["log"] = [json.loads(line) for line in Path(log_path).read_text().splitlines() if line.startswith("{")]
    return result


def test_daemon_finished_cleanly(replay: dict[str, Any]) -> None:
    assert replay["exit_code"] == 0
    stopped = [r for r in replay["log"] if r["event"] == "daemon_stopped"]
    assert stopped and stopped[0]["received"] == 39_261 + 17_293  # rows of cu1801 and IF1711 (data/README.md)
    assert replay["elapsed_s"] < 45


def test_client_receives_ticks_whose_values_are_rows_of_the_file(replay: dict[str, Any], source: pd.DataFrame) -> None:
    assert replay["ack"] == {"type": "subscribed", "topics": TOPICS}
    ticks = [m for m in replay["messages"] if m.get("topic", "").startswith("tick.")]
    assert {m["topic"] for m in ticks} == {"tick.cu1801", "tick.IF1711"}
    rows = {(r.InstrumentID, r.ts, r.LastPrice, r.Volume) for r in source.itertuples()}
    for message in ticks:
        d = message["data"]
        assert message["topic"] == f"tick.{d['symbol']}"
        assert (d["symbol"], datetime.fromisoformat(d["ts"]), d["last_price"], d["cum_volume"]) in rows
    first_cu = next(m["data"] for m in ticks if m["topic"] == "tick.cu1801")
    assert first_cu["last_price"] in set(source.loc[source["InstrumentID"] == "cu1801", "LastPrice"])
    assert first_cu["trading_day"] == "2017-11-13"
    # conflated: far fewer messages than ticks, the latest of each topic at each flush
    assert len(ticks) < 39_261 + 17_293


def test_client_receives_finished_minute_bars(replay: dict[str, Any]) -> None:
    bars = [m["data"] for m in replay["messages"] if m.get("topic") == "bar.cu1801"]
    assert bars, "no bar.cu1801 message"
    assert all(b["symbol"] == "cu1801" and b["low"] <= b["close"] <= b["high"] for b in bars)


def test_ticks_and_bars_stored_in_postgres(replay: dict[str, Any], emulation: Emulation, source: pd.DataFrame) -> None:
    with psycopg.connect(emulation.settings.database_url) as conn:
        counts = dict(conn.execute("SELECT symbol, count(*) FROM ticks GROUP BY symbol").fetchall())
        bar_counts = dict(conn.execute("SELECT symbol, count(*) FROM bars_1m WHERE symbol = ANY(%s) GROUP BY symbol",
                                       (list(SYMBOLS),)).fetchall())
        first_bar = conn.execute(
            "SELECT ts, open, high, low, close, volume FROM bars_1m WHERE symbol = 'cu1801' ORDER BY ts LIMIT 1"
        ).fetchone()
        first_tick = conn.execute(
            "SELECT ts, last_price, cum_volume FROM ticks WHERE symbol = 'cu1801' ORDER BY ts, seq LIMIT 1").fetchone()
    # data/README.md: cu1801 39,261 rows with 2 exact duplicates and a 15:22:06 post-close snapshot;
    # IF1711 17,293 rows, none duplicated, post-close snapshots at 15:24:25 and 15:27:51 (outside the session)
    assert counts == {"cu1801": 39_258, "IF1711": 17_291}
    # full-day bar counts from data/README.md: SHFE cu 465, CFFEX IF 240
    assert bar_counts == {"cu1801": 465, "IF1711": 240}
    cu = source[source["InstrumentID"] == "cu1801"]
    assert first_tick == (cu["ts"].iloc[0], cu["LastPrice"].iloc[0], cu["Volume"].iloc[0])
    # the 21:00 bar opens with the 20:59 call-auction trade and runs to 21:00:59.999
    night_open = datetime(2017, 11, 10, 21, 0, tzinfo=SH)
    in_bar = cu[cu["ts"] < night_open + timedelta(minutes=1)]
    assert first_bar[0] == night_open
    assert first_bar[1:] == (in_bar["LastPrice"].iloc[0], in_bar["LastPrice"].max(), in_bar["LastPrice"].min(),
                             in_bar["LastPrice"].iloc[-1], in_bar["Volume"].iloc[-1])


def test_every_tick_and_bar_published_on_redis(replay: dict[str, Any]) -> None:
    # IF1711: 17,293 rows, no duplicates, 2 post-close snapshots outside the session; a CFFEX day has
    # 240 one-minute bars (data/README.md)
    assert replay["published"] == {"tick.IF1711": 17_291, "bar.IF1711": 240}


def test_latest_tick_snapshot_in_redis(replay: dict[str, Any], emulation: Emulation, source: pd.DataFrame) -> None:
    last = json.loads(redis.Redis.from_url(emulation.settings.redis_url).get("tick:last:cu1801"))
    # the file's last cu1801 row is the 15:22:06 post-close snapshot, outside the session: the latest kept
    # tick is the one before it (15:00:00.500, within a second of the close)
    cu = source[source["InstrumentID"] == "cu1801"].iloc[:-1]
    assert datetime.fromisoformat(last["ts"]) == cu["ts"].iloc[-1]
    assert last["last_price"] == cu["LastPrice"].iloc[-1]
    assert last["cum_volume"] == cu["Volume"].iloc[-1]


def test_daemon_subprocess_stops_on_sigterm(emulation: Emulation, tmp_path: Path) -> None:
    proc = emulation.start_daemon(DaemonConfig(speed=1.0, loop=True, symbols=("MA801",), log_path=tmp_path / "d.log"))
    deadline = time.monotonic() + 20
    while "replay_loaded" not in (tmp_path / "d.log").read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert isinstance(proc, subprocess.Popen)
    assert emulation.stop_daemon() == 0
    events = [json.loads(line)["event"] for line in (tmp_path / "d.log").read_text().splitlines()]
    assert "stop_requested" in events and events[-1] == "daemon_stopped"
