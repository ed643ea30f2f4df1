"""The daemon's life: wire source, pipeline, sinks and pusher; stop cleanly on SIGTERM/SIGINT."""
from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway_daemon.feed import MarketSource, TickFeed
from gateway_daemon.gc_tuning import tune_gc
from gateway_daemon.journal import Journal
from gateway_daemon.logs import log
from gateway_daemon.pipeline import Pipeline
from gateway_daemon.pusher import Pusher, management_poster
from gateway_daemon.replay import ReplaySource, load_rows
from gateway_daemon.sinks import PgSink, RedisSink
from shared.adapters.db import database_url
from shared.adapters.ws_connections import WsConnections
from shared.settings import Settings

STATS_EVERY_S = 5.0


@dataclass(frozen=True)
class ReplayOptions:
    file: str
    speed: float = 1.0
    loop: bool = False
    symbols: list[str] = field(default_factory=list)
    max_pause_s: float = 1.0


def build_pusher(settings: Settings) -> Pusher | None:
    if not settings.ws_management_url:
        log("pusher_disabled", "warning", reason="QC_WS_MANAGEMENT_URL is not set")
        return None
    store = WsConnections.from_settings(settings)
    return Pusher(management_poster(settings.ws_management_url, settings.aws_region),
                  store.subscribers, store.remove)


async def run_replay(options: ReplayOptions, settings: Settings) -> int:
    """Replay the file through the pipeline; returns the exit code."""
    loop = asyncio.get_running_loop()
    feed = TickFeed(loop)
    source: ReplaySource | None = None
    stopping = False

    def request_stop(signame: str) -> None:
        nonlocal stopping
        log("stop_requested", signal=signame)
        stopping = True
        if source is not None:
            source.stop()
        feed.close()

    # installed first: a signal during the file load must still mean "stop cleanly"
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop, sig.name)
    rows = await asyncio.to_thread(load_rows, options.file, options.symbols or None)
    log("replay_loaded", file=options.file, rows=len(rows), speed=options.speed, loop=options.loop,
        symbols=sorted({r["InstrumentID"] for r in rows}))
    if stopping:
        log("daemon_stopped", received=0, passes=0)
        return 0
    source = ReplaySource(rows, options.speed, loop=options.loop, max_pause_s=options.max_pause_s)
    await serve(source, feed, settings)
    return 0


async def serve(source: MarketSource, feed: TickFeed, settings: Settings, *, journal_dir: str | None = None,
                on_pusher: Callable[[Pusher], None] | None = None) -> None:
    """Run the pipeline over what ``source`` puts into ``feed`` until it marks END_OF_SOURCE.

    With ``journal_dir`` every tick and bar is on disk before it is stored, and waits there while
    PostgreSQL or Redis is away (bounded by ``settings.daemon_journal_max_bytes``).
    """
    pg_journal = redis_journal = None
    if journal_dir:
        pg_journal = Journal(f"{journal_dir}/pg", max_bytes=settings.daemon_journal_max_bytes, name="pg")
        redis_journal = Journal(f"{journal_dir}/redis", max_bytes=settings.daemon_journal_max_bytes, name="redis")
    redis_sink = RedisSink(settings.redis_url, redis_journal)
    pg_sink = PgSink(database_url(settings), journal=pg_journal)
    pusher = build_pusher(settings)
    if pusher is not None and on_pusher is not None:
        on_pusher(pusher)
    pipeline = Pipeline(redis_sink, pg_sink, pusher)
    stop = asyncio.Event()
    started = time.monotonic()
    workers = [asyncio.create_task(pg_sink.run(stop)), asyncio.create_task(_report(pipeline, pg_sink, stop))]
    if pusher is not None:
        workers.append(asyncio.create_task(pusher.run(stop)))

    tune_gc()  # everything is set up: keep it out of the collector's sight while the ticks stream
    source.start(feed)
    await pipeline.run(feed)
    stop.set()
    await asyncio.gather(*workers)
    await pg_sink.flush()  # whatever arrived after the last periodic flush
    if pusher is not None:
        await pusher.flush()
        pusher.close()
    pg_sink.close()
    await redis_sink.close()
    for journal in (pg_journal, redis_journal):
        if journal is not None:
            journal.close()
    _log_stats("daemon_stopped", pipeline, pg_sink, elapsed_s=round(time.monotonic() - started, 3),
               passes=getattr(source, "passes", None), pushed=pusher.pushed if pusher else 0)


async def _report(pipeline: Pipeline, pg_sink: PgSink, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), STATS_EVERY_S)
        except TimeoutError:
            _log_stats("daemon_stats", pipeline, pg_sink)


def _log_stats(event: str, pipeline: Pipeline, pg_sink: PgSink, **extra: object) -> None:
    log(event, received=pipeline.received, ticks=pipeline.ticks, bars=pipeline.bars,
        dropped=dict(pipeline.dropped), ticks_written=pg_sink.ticks_written, bars_written=pg_sink.bars_written,
        **extra)
