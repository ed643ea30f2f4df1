"""Daemon ingest: ticks/s from the fake CTP front through the MdSpi, cleaning, 1-minute bars, the journal,
Redis (PUBLISH + latest) and PostgreSQL (one JSON insert a batch), and the p99 delay from the SPI callback to
the Redis publish.

The front is the test double from ``tests/integration/daemon/ctp_fake.py``: from a Python thread of its own
it hands OUR ``MdSpi`` a real ``CThostFtdcDepthMarketDataField`` the way CTP does, through SWIG's C++
director (which takes the GIL and wraps the pointer in a new proxy each time). CTP's own thread is not a
Python thread, so there the director would also make a thread state per quote; ``ctp/thread_state.py``
avoids that, which this bench cannot show (``test_daemon_ctp_thread_state.py`` drives the real MdApi's
thread). Ticks are synthetic (100 contracts named zz0000-zz0099, two quotes a second each, SHFE's day
session, a random price walk) so any number of them stays in time order, up to one session day (2.7M).

Two kinds of run: as fast as the daemon takes them (throughput; its delays are only the queue's length) and
at a fixed offered rate (latency). Goal: >= 50,000 ticks/s on 2 cores, sustained: the last run offers
50,000 a second for ``BENCH_DAEMON_SUSTAIN_S`` (20, at most 54) seconds to two processes, and the goal is
met when every tick was stored, the front kept its schedule within 1 % of the run (the feed is bounded: a
daemon that falls behind holds the front's thread back) and the last tick was in PostgreSQL within a
second of its callback. ``BENCH_DAEMON_TICKS`` (300,000) sizes the other runs.
"""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import io
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).parents[1]
GOAL = 50_000
# no real contract's names: PUBLISH reaches subscribers in every Redis database, so tick.<symbol> must be
# a channel no client of a real deployment listens on
SYMBOLS = [f"zz{n:04d}" for n in range(100)]


def _database_url() -> str:
    params = conninfo_to_dict(os.environ.get("QC_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/quantcloud"))
    params["dbname"] = params.get("dbname", "quantcloud") + "_bench_daemon"
    return make_conninfo(**params)


def _fresh_database(url: str) -> None:
    from shared.adapters.migrate import migrate
    from shared.adapters.services import ensure_database

    ensure_database(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    migrate(url)


def _drop_database(url: str) -> None:
    params = conninfo_to_dict(url)
    name = params["dbname"]
    params["dbname"] = "postgres"
    with psycopg.connect(make_conninfo(**params), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


# SHFE's day session, 09:00-10:15, 10:30-11:30, 13:30-15:00, as seconds after 09:00 (ticks in its breaks
# would be dropped); its 13,500 trading seconds hold 2.7M ticks of 100 contracts
BREAKS = ((4_500, 900), (8_100, 7_200))  # (trading second the break starts at, its length)
TRADING_S = 13_500


def _clock_seconds(trading: np.ndarray) -> np.ndarray:
    clock = trading.copy()
    for start, length in BREAKS:
        clock[trading >= start] += length
    return clock


def _prefilled_quotes(n_ticks: int, symbols: list[str]) -> tuple[np.ndarray, int]:
    """The raw bytes of ``n_ticks`` DepthMarketData structures (100 contracts, 2 quotes a second each, one
    seeded random walk of 10-point steps from 54000), one row each, and the row size."""
    from openctp_ctp import mdapi

    from gateway_daemon.ctp.depth import probe_layout

    names = ("TradingDay", "ActionDay", "InstrumentID", "UpdateTime", "UpdateMillisec", "LastPrice", "Volume",
             "Turnover", "OpenInterest", "BidPrice1", "AskPrice1", "BidVolume1", "AskVolume1")
    kinds = {"d": "<f8", "i": "<i4", "s": "S"}
    layout = {name: (offset, kinds[code], size)
              for name, (offset, code, size) in probe_layout(mdapi.CThostFtdcDepthMarketDataField, names).items()}
    size = max(offset + size for offset, _, size in layout.values())
    rows = np.zeros((n_ticks, size), dtype=np.uint8)

    def put(name: str, values: np.ndarray) -> None:
        offset, kind, width = layout[name]
        if kind == "S":
            rows[:, offset:offset + width - 1] = values.astype(f"S{width - 1}").view(np.uint8).reshape(n_ticks, -1)
        else:
            rows[:, offset:offset + width] = values.astype(kind).view(np.uint8).reshape(n_ticks, width)

    i = np.arange(n_ticks)
    step, sym = np.divmod(i, len(symbols))
    ms = step * 500
    if ms[-1] // 1000 >= TRADING_S:
        raise ValueError(f"{n_ticks:,} ticks are more than one day session of {len(symbols)} contracts holds")
    secs = _clock_seconds(ms // 1000)
    price = 54000.0 + np.cumsum(np.random.default_rng(7).choice([-10.0, 0.0, 10.0], n_ticks))
    times = np.char.add(np.char.add(np.char.zfill((9 + secs // 3600).astype(str), 2), ":"),
                        np.char.add(np.char.add(np.char.zfill((secs // 60 % 60).astype(str), 2), ":"),
                                    np.char.zfill((secs % 60).astype(str), 2)))
    put("TradingDay", np.full(n_ticks, "20171113"))
    put("ActionDay", np.full(n_ticks, "20171113"))
    put("InstrumentID", np.array(symbols)[sym])
    put("UpdateTime", times)
    put("UpdateMillisec", ms % 1000)
    put("LastPrice", price)
    put("Volume", step + 1)
    put("Turnover", (step + 1) * price * 5)
    put("OpenInterest", np.full(n_ticks, 100000.0))
    put("BidPrice1", price - 10)
    put("AskPrice1", price + 10)
    put("BidVolume1", np.full(n_ticks, 5))
    put("AskVolume1", np.full(n_ticks, 5))
    return rows, size


def _run(n_ticks: int, rate: float | None, redis_url: str, db_url: str, state_dir: str,
         symbols: list[str] = SYMBOLS, barrier: Any = None) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "tests" / "integration" / "daemon"))
    from ctp_fake import FakeMdApi
    from openctp_ctp import mdapi

    from gateway_daemon.ctp.config import CtpConfig
    from gateway_daemon.ctp.md_session import MdSession
    from gateway_daemon.feed import TickFeed
    from gateway_daemon.gc_tuning import tune_gc
    from gateway_daemon.journal import Journal
    from gateway_daemon.pipeline import Pipeline
    from gateway_daemon.sinks import PgSink, RedisSink

    called = np.zeros(n_ticks)
    published = np.zeros(n_ticks)
    # delays are timed on every 5th contract: parsing each tick's time back out of its text took 0.6 us a
    # tick on the loop, the daemon's own thread; the contracts are alike, so 60,000 of 300,000 ticks suffice
    timed = {s: i for i, s in enumerate(symbols) if i % 5 == 0}
    trading_second = [0] * (6 * 3600)  # by seconds after 09:00 on the clock
    for trading, clock in enumerate(_clock_seconds(np.arange(TRADING_S))):
        trading_second[clock] = trading
    n_sym = len(symbols)

    class TimedRedis(RedisSink):
        async def write(self, ticks, bars):  # type: ignore[no-untyped-def]
            await super().write(ticks, bars)
            now = time.perf_counter()
            for symbol, text in ticks:  # tick number from (symbol, time): 2 quotes a second per contract
                column = timed.get(symbol)
                if column is None:
                    continue
                at = text.index('"ts":"') + 17  # "2017-11-13T|09:00:00.500
                seconds = trading_second[(int(text[at:at + 2]) - 9) * 3600 + int(text[at + 3:at + 5]) * 60
                                         + int(text[at + 6:at + 8])]
                half = 1 if text[at + 9] == "5" else 0
                published[(seconds * 2 + half) * n_sym + column] = now

    async def main() -> dict[str, float]:
        loop = asyncio.get_running_loop()
        feed = TickFeed(loop)
        front = FakeMdApi()
        config = CtpConfig(broker_id="b", user_id="u", password="p", md_fronts=("tcp://x:1",), td_fronts=(),
                           flow_dir=f"{state_dir}/flow")
        session = MdSession(config, symbols, api_factory=lambda d: front, exchanges={s: "SHFE" for s in symbols})
        journal = Journal(f"{state_dir}/journal-pg", max_bytes=1 << 34)
        redis_sink = TimedRedis(redis_url, Journal(f"{state_dir}/journal-redis", max_bytes=1 << 34))
        pg_sink = PgSink(db_url, journal=journal)  # the daemon's batch size
        pipeline = Pipeline(redis_sink, pg_sink, None)
        stop = asyncio.Event()
        writer = asyncio.create_task(pg_sink.run(stop))
        session.start(feed)
        await asyncio.to_thread(lambda: (front.connect(), front.drain()))
        struct = mdapi.CThostFtdcDepthMarketDataField()  # CTP hands the SPI one reused buffer too
        address = int(struct.this)
        ticks, size = _prefilled_quotes(n_ticks, symbols)

        def produce() -> None:
            # CTP fills the structure in C; so does the fake here (one memmove from bytes built before the clock
            # starts), so what is timed is the SPI callback and the daemon, not Python setting 13 SWIG fields
            start = time.perf_counter()
            base = ticks.ctypes.data
            for i in range(n_ticks):
                if rate is not None:  # sleep, not spin: a spinning producer would hold the GIL from the loop
                    ahead = start + i / rate - time.perf_counter()
                    if ahead > 0.0005:
                        time.sleep(ahead)
                ctypes.memmove(address, base + i * size, size)
                called[i] = time.perf_counter()
                front.quote_now(struct)
            session.stop()

        tune_gc()  # as the daemon does once it is set up (gateway_daemon.service.serve)
        if barrier is not None:  # the other process is ready too: both clocks start together
            await asyncio.to_thread(barrier.wait)
        started, started_wall = time.perf_counter(), time.time()
        producer = threading.Thread(target=produce, name="fake-ctp")
        producer.start()
        await pipeline.run(feed)
        stop.set()
        await writer
        await pg_sink.flush()
        elapsed = time.perf_counter() - started
        pg_sink.close()
        await redis_sink.close()
        producer.join()
        ok = published > 0
        expected = sum(n_ticks // n_sym + (column < n_ticks % n_sym) for column in timed.values())
        assert ok.sum() == expected, f"{expected - ok.sum()} timed ticks were not published"
        delays_ms = (published[ok] - called[ok]) * 1000
        last_call = called.max() - started
        behind_s = last_call - (n_ticks - 1) / rate if rate else None  # the front's lag behind its schedule
        return {"ticks": pipeline.ticks, "written": pg_sink.ticks_written, "elapsed_s": elapsed,
                "window": (started_wall, started_wall + elapsed), "delays_ms": delays_ms,
                "behind_s": behind_s, "drain_s": elapsed - last_call, "director": front.through_director,
                "rate": pg_sink.ticks_written / elapsed, "p50_ms": float(np.percentile(delays_ms, 50)),
                "p99_ms": float(np.percentile(delays_ms, 99)), "dropped": sum(pipeline.dropped.values())}

    with _daemon_logs_held():
        return asyncio.run(main())


@contextlib.contextmanager
def _daemon_logs_held() -> Iterator[None]:
    """The daemon's JSON log lines (md_starting, md_stopped, ...) stay off the bench's output, unless the run
    fails: then they are written out before the error."""
    held = io.StringIO()
    try:
        with contextlib.redirect_stderr(held):
            yield
    except BaseException:
        sys.__stderr__.write(held.getvalue())
        raise


def _run_shard(args: tuple[Any, ...]) -> dict[str, Any]:
    import shutil
    import tempfile

    n_ticks, rate, redis_url, db_url, symbols, barrier = args
    state = tempfile.mkdtemp(prefix="qc-bench-daemon-")
    try:
        return _run(n_ticks, rate, redis_url, db_url, state, symbols, barrier)
    finally:
        shutil.rmtree(state, ignore_errors=True)


def _two_processes(n_ticks: int, rate: float | None, redis_url: str, db_url: str) -> dict[str, Any]:
    """QC_DAEMON_MD_PROCESSES=2: the pipeline in two processes, each with its own MdApi session (here its own
    fake front) over its half of the contracts; the rate is over the union of their time windows."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(2) as pool:
        barrier = manager.Barrier(2)
        shards = [(n_ticks // 2, rate / 2 if rate else None, redis_url, db_url, SYMBOLS[k::2], barrier)
                  for k in range(2)]
        parts = pool.map(_run_shard, shards)
    start = min(p["window"][0] for p in parts)
    end = max(p["window"][1] for p in parts)
    delays = np.concatenate([p["delays_ms"] for p in parts])
    written = sum(p["written"] for p in parts)
    return {"ticks": sum(p["ticks"] for p in parts), "written": written, "elapsed_s": end - start,
            "rate": written / (end - start), "p50_ms": float(np.percentile(delays, 50)),
            "p99_ms": float(np.percentile(delays, 99)), "drain_s": max(p["drain_s"] for p in parts),
            "behind_s": None if rate is None else max(p["behind_s"] for p in parts)}


def _tick_counts() -> tuple[int, int]:
    """BENCH_DAEMON_TICKS and BENCH_DAEMON_SUSTAIN_S as tick counts, checked before any run starts."""
    most = TRADING_S * 2 * len(SYMBOLS)  # one synthetic day session
    try:
        n = int(os.environ.get("BENCH_DAEMON_TICKS", "300000"))
        seconds = float(os.environ.get("BENCH_DAEMON_SUSTAIN_S", "20"))
    except ValueError as exc:
        sys.exit(f"bench_daemon: BENCH_DAEMON_TICKS takes a whole number, BENCH_DAEMON_SUSTAIN_S seconds ({exc})")
    if not 1000 <= n <= most:
        sys.exit(f"bench_daemon: BENCH_DAEMON_TICKS={n} is outside 1,000..{most:,} (one synthetic session day)")
    sustained = int(seconds * GOAL) // 2 * 2  # an even count: the two processes take half each
    if not 1000 <= sustained <= most:
        sys.exit(f"bench_daemon: BENCH_DAEMON_SUSTAIN_S={seconds:g} is outside 0.02..{most // GOAL} seconds "
                 f"(at {GOAL:,} ticks a second, one synthetic session day holds {most // GOAL} s)")
    return n, sustained


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _kept_up(r: dict[str, Any], offered: int) -> bool:
    return r["written"] == offered and r["behind_s"] <= 0.01 * offered / GOAL and r["drain_s"] <= 1.0


def run() -> None:
    import shutil
    import tempfile

    from gateway_daemon.ctp.locale_guard import require_ctp_locale

    require_ctp_locale()
    n, sustained = _tick_counts()
    # its tick:last keys go to a Redis database of its own (QC_BENCH_REDIS_DB, 13) and are removed at the end
    redis_url = (os.environ.get("QC_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/"
                 + os.environ.get("QC_BENCH_REDIS_DB", "13"))
    db_url = _database_url()
    rows = []
    try:
        for label, rate in [("max", None), ("offered 5k/s", 5_000.0), ("offered 50k/s", 50_000.0)]:
            _fresh_database(db_url)
            state = tempfile.mkdtemp(prefix="qc-bench-daemon-")
            try:
                result = _run(n if rate is None else min(n, int(rate * 10)), rate, redis_url, db_url, state)
            finally:
                shutil.rmtree(state, ignore_errors=True)
            rows.append((label, result))
        for label, count, rate in [("max, 2 procs*", n, None), ("sustained 50k/s*", sustained, float(GOAL))]:
            _fresh_database(db_url)
            rows.append((label, _two_processes(count, rate, redis_url, db_url)))
    finally:
        _drop_database(db_url)
        import redis

        client = redis.Redis.from_url(redis_url)
        client.delete(*[f"tick:last:{symbol}" for symbol in SYMBOLS])
        client.close()
    cores = len(os.sched_getaffinity(0))
    print(f"daemon ingest, fake CTP front -> MdSpi -> clean -> bars -> journal -> Redis + PostgreSQL ({cores} cores,"
          f" PostgreSQL and Redis on the same cores)")
    print(f"{'run':<16}{'ticks':>9}{'stored':>9}{'seconds':>9}{'ticks/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'behind s':>10}{'drain s':>9}")
    for label, r in rows:
        print(f"{label:<16}{r['ticks']:>9}{r['written']:>9}{r['elapsed_s']:>9.2f}{r['rate']:>10,.0f}"
              f"{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{_seconds(r['behind_s']):>10}{_seconds(r['drain_s']):>9}")
    print("* QC_DAEMON_MD_PROCESSES=2: market data in two processes, 50 contracts and one MdApi session each")
    print("each quote entered the SPI " + ("through SWIG's C++ director, as CTP's do" if rows[0][1]["director"] else
                                          "from Python: this openctp-ctp build exports no director entry"))
    print("behind: how late the front's last callback was against the offered schedule; drain: from the last "
          "callback to the last tick stored; in the max rows p50/p99 are the queue's length, not latency")
    for label, r in (rows[0], rows[-2]):
        print(f"ingest capacity, {label}: {r['rate']:,.0f} ticks/s ({r['rate'] / GOAL:.2f}x the goal)")
    label, r = rows[-1]
    verdict = "met" if _kept_up(r, sustained) else "NOT met"
    print(f"goal >= {GOAL:,} ticks/s sustained on {cores} cores, {label}: {verdict} ({r['written']:,} of "
          f"{sustained:,} stored in {r['elapsed_s']:.1f} s, front {r['behind_s']:.2f} s behind its schedule, "
          f"the last tick stored {r['drain_s']:.2f} s after its callback, p99 {r['p99_ms']:.0f} ms)")
