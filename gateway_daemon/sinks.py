"""Where cleaned ticks and finished bars go: Redis (live) and PostgreSQL (history).

Redis: ``PUBLISH tick.<symbol>`` / ``bar.<symbol>`` with the JSON of each
record, and ``SET tick:last:<symbol>`` to the latest tick. PostgreSQL: ticks
and 1-minute bars are buffered and written in batches (every ``interval_s`` or
``batch_size`` ticks) on a worker thread; a batch that fails stays buffered
and is retried, so a database restart loses nothing while the process lives.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import psycopg
import redis
import redis.asyncio

from gateway_daemon.logs import log
from shared.adapters.pg_bars import PgBarStore
from shared.adapters.pg_ticks import ensure_instrument, insert_ticks
from shared.domain.bars import Bar
from shared.domain.ticks import Tick
from shared.domain.topics import bar_topic, tick_topic

LAST_TICK_KEY = "tick:last:{symbol}"


class RedisSink:
    def __init__(self, redis_url: str) -> None:
        self._redis = redis.asyncio.Redis.from_url(redis_url, decode_responses=True, socket_connect_timeout=3)
        self.errors = 0

    async def write(self, ticks: Sequence[tuple[str, str]], bars: Sequence[tuple[str, str]]) -> None:
        """Publish each (symbol, record JSON) and keep each symbol's latest tick."""
        if not ticks and not bars:
            return
        pipe = self._redis.pipeline(transaction=False)
        latest: dict[str, str] = {}
        for symbol, text in ticks:
            pipe.publish(tick_topic(symbol), text)
            latest[symbol] = text
        for symbol, text in latest.items():
            pipe.set(LAST_TICK_KEY.format(symbol=symbol), text)
        for symbol, text in bars:
            pipe.publish(bar_topic(symbol), text)
        try:
            await pipe.execute()
        except redis.RedisError as exc:  # live data only: the next batch tries again
            self.errors += 1
            log("redis_write_failed", "warning", error=str(exc), ticks=len(ticks), bars=len(bars))

    async def close(self) -> None:
        await self._redis.aclose()


class PgSink:
    def __init__(self, database_url: str, *, interval_s: float = 0.5, batch_size: int = 1000) -> None:
        self._url = database_url
        self.interval_s = interval_s
        self.batch_size = batch_size
        self._ticks: list[Tick] = []
        self._bars: list[Bar] = []
        self._exchanges: dict[str, str] = {}
        self._known: set[str] = set()
        self._conn: psycopg.Connection | None = None
        self._full = asyncio.Event()
        self._lock = asyncio.Lock()
        self.ticks_written = 0
        self.bars_written = 0

    def add(self, ticks: Sequence[Tick], bars: Sequence[Bar], exchanges: dict[str, str]) -> None:
        self._ticks.extend(ticks)
        self._bars.extend(bars)
        self._exchanges.update(exchanges)
        if len(self._ticks) >= self.batch_size:
            self._full.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Flush every ``interval_s`` (sooner when a batch is full) until ``stop``."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._full.wait(), self.interval_s)
            except TimeoutError:
                pass
            self._full.clear()
            await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            ticks, bars = self._ticks, self._bars
            self._ticks, self._bars = [], []
            if not ticks and not bars:
                return
            try:
                added = await asyncio.to_thread(self._write, ticks, bars)
            except psycopg.Error as exc:
                self._ticks[:0], self._bars[:0] = ticks, bars  # keep order; retried next time
                self._drop_connection()
                log("pg_write_failed", "warning", error=str(exc), buffered=len(self._ticks))
                return
            self.ticks_written += added[0]
            self.bars_written += added[1]

    def close(self) -> None:
        self._drop_connection()

    def _write(self, ticks: list[Tick], bars: list[Bar]) -> tuple[int, int]:
        conn = self._connection()
        for symbol in {t.symbol for t in ticks} | {b.symbol for b in bars}:
            if symbol not in self._known and symbol in self._exchanges:
                ensure_instrument(conn, symbol, self._exchanges[symbol])
                self._known.add(symbol)
        tick_rows = insert_ticks(conn, ticks) if ticks else 0
        bar_rows = PgBarStore(conn).insert_bars(bars) if bars else 0
        return tick_rows, bar_rows

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=5)
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
        self._conn = None


def json_text(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))
