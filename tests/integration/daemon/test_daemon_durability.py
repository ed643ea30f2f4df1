"""While PostgreSQL or Redis is away, ticks and bars wait in the on-disk journal (bounded, one clear log
line) and are stored in order, once each, when the service returns; a journal left by a crash is replayed."""
from __future__ import annotations

import asyncio
import json

import pytest
import redis
import redis.asyncio

from gateway_daemon.journal import Journal
from gateway_daemon.replay import load_rows
from shared.adapters.pg_ticks import insert_ticks
from gateway_daemon.sinks import PgSink, RedisSink, json_text
from shared.domain.bars import MinuteBarBuilder
from shared.domain.ticks import TickCleaner

DATA = "data/ticks_ctp_5_contracts_20171113.csv.gz"
DEAD_PG = "postgresql://postgres@127.0.0.1:1/nowhere"


def _cu_ticks(n: int):
    cleaner, builder = TickCleaner(), MinuteBarBuilder()
    ticks, bars = [], []
    for row in load_rows(DATA, ["cu1801"])[:n]:
        tick = cleaner.clean(row)
        if tick is not None:
            ticks.append(tick)
            bars.extend(builder.on_tick(tick))
    return ticks, bars


def test_postgres_away_then_back_nothing_lost_nothing_twice(db, tmp_path, capfd) -> None:
    ticks, bars = _cu_ticks(3000)
    assert len(ticks) > 2500 and len(bars) > 10

    async def scenario() -> PgSink:
        sink = PgSink(DEAD_PG, journal=Journal(tmp_path / "j"))
        sink.add(ticks[:1000], bars[:5], {"cu1801": "SHFE"})
        await sink.flush()  # fails: to disk
        assert sink.degraded
        sink.add(ticks[1000:2000], bars[5:], {})
        await sink.flush()  # still away
        sink._url = db.info.dsn  # PostgreSQL is back
        sink.add(ticks[2000:], [], {})
        await sink.flush()  # the journal, in order
        assert not sink.degraded
        sink.add([], [], {})
        await sink.flush()
        sink.close()
        return sink

    sink = asyncio.run(scenario())
    assert db.execute("SELECT count(*), count(DISTINCT (ts, seq)) FROM ticks").fetchone() == (len(ticks), len(ticks))
    # every column as the cleaner made it (PostgreSQL parsed the ticks' JSON text)
    stored = db.execute("SELECT symbol, ts, seq, trading_day, last_price, volume, cum_volume, turnover, open_interest, "
                        "bid_price1, bid_volume1, ask_price1, ask_volume1 FROM ticks ORDER BY ts, seq").fetchall()
    assert stored == [(t.symbol, t.ts, t.seq, t.trading_day, t.last_price, t.volume, t.cum_volume, t.turnover,
                       t.open_interest, t.bid_price1, t.bid_volume1, t.ask_price1, t.ask_volume1)
                      for t in sorted(ticks, key=lambda t: (t.ts, t.seq))]
    assert db.execute("SELECT count(*) FROM bars_1m").fetchone()[0] == len(bars)
    assert sink.ticks_written == len(ticks)
    assert Journal(tmp_path / "j").sealed() == []  # released
    logs = [json.loads(x) for x in capfd.readouterr().err.splitlines() if x.startswith("{")]
    assert [r["event"] for r in logs if r["event"].startswith("pg_")] == ["pg_unavailable", "pg_recovered"]
    assert next(r for r in logs if r["event"] == "pg_recovered")["replayed_ticks"] == len(ticks)


def test_a_journal_left_by_a_crash_is_replayed_without_duplicates(db, tmp_path) -> None:
    ticks, bars = _cu_ticks(1500)

    async def crashed_run() -> None:
        sink = PgSink(db.info.dsn, journal=Journal(tmp_path / "j"))
        sink.add(ticks[:700], [], {"cu1801": "SHFE"})
        await sink.flush()  # stored and released
        sink.add(ticks[700:], bars, {})  # on disk, then the process dies before the next flush

    async def restarted() -> PgSink:
        sink = PgSink(db.info.dsn, journal=Journal(tmp_path / "j"))
        assert sink.degraded
        await sink.flush()
        return sink

    asyncio.run(crashed_run())
    # the crash came mid-flush: the first 300 of the journal's ticks were stored, the segment not released
    insert_ticks(db, ticks[700:1000])
    sink = asyncio.run(restarted())
    assert db.execute("SELECT count(*) FROM ticks").fetchone()[0] == len(ticks)
    assert db.execute("SELECT count(*) FROM bars_1m").fetchone()[0] == len(bars)
    assert sink.ticks_written == len(ticks) - 1000


def test_journal_is_bounded_with_one_clear_log_line(tmp_path, capfd) -> None:
    journal = Journal(tmp_path / "j", max_bytes=100)
    assert journal.append(["x" * 60])
    assert not journal.append(["y" * 60])
    assert not journal.append(["z" * 60])
    assert journal.dropped == 2
    full = [x for x in capfd.readouterr().err.splitlines() if '"journal_full"' in x]
    assert len(full) == 1 and '"level":"error"' in full[0]


def test_redis_away_then_back_publishes_in_order(redis_url, tmp_path) -> None:
    ticks, _ = _cu_ticks(50)
    texts = [(t.symbol, json_text(t.to_json())) for t in ticks]

    async def scenario() -> list[str]:
        listener = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
        pubsub = listener.pubsub()
        await pubsub.subscribe("tick.cu1801")
        sink = RedisSink("redis://127.0.0.1:1/0", journal=Journal(tmp_path / "r"))
        await sink.write(texts[:20], [])
        assert sink.degraded
        await sink.write(texts[20:30], [])
        await sink._redis.aclose()
        sink._redis = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)  # Redis is back
        sink._next_try = 0
        await sink.write(texts[30:], [])
        assert not sink.degraded
        got = []
        deadline = asyncio.get_running_loop().time() + 5
        while len(got) < len(texts) and asyncio.get_running_loop().time() < deadline:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if message is not None:
                got.append(message["data"])
        await sink.close()
        await listener.aclose()
        return got

    got = asyncio.run(scenario())
    assert got == [t for _, t in texts]  # all, once, in order
    last = redis.Redis.from_url(redis_url, decode_responses=True).get("tick:last:cu1801")
    assert last == texts[-1][1]


def test_redis_script_is_loaded_again_after_a_flush(redis_url) -> None:
    """The batch goes out as one EVALSHA; a restarted (or flushed) Redis has forgotten the script."""
    ticks, _ = _cu_ticks(5)
    texts = [(t.symbol, json_text(t.to_json())) for t in ticks]

    async def scenario() -> list[str]:
        listener = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
        pubsub = listener.pubsub()
        await pubsub.subscribe("tick.cu1801")
        sink = RedisSink(redis_url)
        await sink.write(texts[:2], [])
        await listener.script_flush()
        await sink.write(texts[2:], [])
        got = []
        deadline = asyncio.get_running_loop().time() + 5
        while len(got) < len(texts) and asyncio.get_running_loop().time() < deadline:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if message is not None:
                got.append(message["data"])
        await sink.close()
        await listener.aclose()
        return got

    assert asyncio.run(scenario()) == [t for _, t in texts]


@pytest.mark.parametrize("exchanges", [{"cu1801": "SHFE"}, {}])  # {}: the feed left ExchangeID empty
def test_the_sink_creates_each_instrument_before_its_ticks(db, tmp_path, exchanges) -> None:
    # ticks carry no foreign key to instruments (migration 0005): the sink is what keeps them paired
    ticks, bars = _cu_ticks(300)

    async def run() -> PgSink:
        sink = PgSink(db.info.dsn, journal=Journal(tmp_path / "j"))
        sink.add(ticks, bars, exchanges)
        await sink.flush()
        sink.close()
        return sink

    sink = asyncio.run(run())
    assert not sink.degraded
    assert db.execute("SELECT count(*) FROM ticks").fetchone()[0] == len(ticks)
    assert db.execute("SELECT count(*) FROM bars_1m").fetchone()[0] == len(bars) > 0
    assert db.execute("SELECT symbol, exchange FROM instruments").fetchall() == [("cu1801", "SHFE")]
    assert db.execute("SELECT count(*) FROM ticks t WHERE NOT EXISTS "
                      "(SELECT 1 FROM instruments i WHERE i.symbol = t.symbol)").fetchone()[0] == 0


def test_the_writer_flushes_a_full_batch_at_once_and_stops_when_told(db, tmp_path) -> None:
    ticks, bars = _cu_ticks(600)

    async def scenario() -> tuple[int, int, float]:
        sink = PgSink(db.info.dsn, journal=Journal(tmp_path / "j"), interval_s=30, batch_size=500)
        stop = asyncio.Event()
        writer = asyncio.create_task(sink.run(stop))
        sink.add(ticks[:500], [], {"cu1801": "SHFE"})  # a full batch: stored long before interval_s
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while sink.ticks_written < 500 and loop.time() < deadline:
            await asyncio.sleep(0.01)
        full_batch = sink.ticks_written
        sink.add(ticks[500:], bars, {})  # not full: stored by the flush that stop brings
        stop.set()
        asked = loop.time()
        await asyncio.wait_for(writer, 10)
        sink.close()
        return full_batch, sink.ticks_written, loop.time() - asked

    full_batch, written, stopped_after_s = asyncio.run(scenario())
    assert full_batch == 500
    assert written == len(ticks) == db.execute("SELECT count(*) FROM ticks").fetchone()[0]
    assert stopped_after_s < 5  # interval_s is 30: stop does not wait for it
