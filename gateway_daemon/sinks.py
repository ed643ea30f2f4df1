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
import time
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import psycopg
import redis
import redis.asyncio

from gateway_daemon.journal import Journal
from gateway_daemon.logs import log
from shared.adapters.pg_bars import PgBarStore
from shared.adapters.pg_ticks import ensure_instrument, insert_ticks
from shared.domain.bars import Bar
from shared.domain.ticks import Tick
from shared.domain.topics import bar_topic, tick_topic

LAST_TICK_KEY = "tick:last:{symbol}"


class RedisSink:
    """Publishes live records; while Redis is away they go to the journal (when given) and are published
    in order, before anything newer, once it is back."""

    RETRY_S = 1.0

    def __init__(self, redis_url: str, journal: Journal | None = None) -> None:
        self._redis = redis.asyncio.Redis.from_url(redis_url, decode_responses=True, socket_connect_timeout=3,
                                                   socket_timeout=5)
        self._journal = journal
        self.errors = 0
        self.degraded = bool(journal and journal.sealed())
        self._next_try = 0.0
        self.replayed = 0

    async def write(self, ticks: Sequence[tuple[str, str]], bars: Sequence[tuple[str, str]]) -> None:
        """Publish each (symbol, record JSON) and keep each symbol's latest tick."""
        if not ticks and not bars and not self.degraded:
            return
        latest: dict[str, str] = {}
        for symbol, text in ticks:
            latest[symbol] = text
        commands = [("p", tick_topic(symbol), text) for symbol, text in ticks]
        commands += [("s", LAST_TICK_KEY.format(symbol=symbol), text) for symbol, text in latest.items()]
        commands += [("p", bar_topic(symbol), text) for symbol, text in bars]
        if self.degraded and self._journal is not None:
            self._journal.append([f"{c}\t{k}\t{t}" for c, k, t in commands])
            if time.monotonic() >= self._next_try:
                await self._recover()
            return
        try:
            await self._send(commands)
        except redis.RedisError as exc:
            self.errors += 1
            if self._journal is None:  # live data only: the next batch tries again
                log("redis_write_failed", "warning", error=str(exc), ticks=len(ticks), bars=len(bars))
                return
            self.degraded = True
            self._next_try = time.monotonic() + self.RETRY_S
            self._journal.append([f"{c}\t{k}\t{t}" for c, k, t in commands])
            log("redis_unavailable", "warning", error=str(exc), action=f"buffering to {self._journal.dir}")

    async def _send(self, commands: Sequence[tuple[str, str, str]]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for kind, key, text in commands:
            if kind == "p":
                pipe.publish(key, text)
            else:
                pipe.set(key, text)
        await pipe.execute()

    async def _recover(self) -> None:
        """Publish the journal in order; back to direct writes when it is empty."""
        journal = self._journal
        assert journal is not None
        sealed = journal.seal()
        try:
            for segment in journal.sealed():
                if segment > sealed:
                    break
                batch: list[tuple[str, str, str]] = []
                for line in journal.read(segment):
                    kind, key, text = line.split("\t", 2)
                    batch.append((kind, key, text))
                    if len(batch) >= 5000:
                        await self._send(batch)
                        self.replayed += len(batch)
                        batch = []
                await self._send(batch)
                self.replayed += len(batch)
                journal.release(segment)
        except redis.RedisError:
            self._next_try = time.monotonic() + self.RETRY_S
            return
        self.degraded = False
        log("redis_recovered", replayed=self.replayed, dropped=journal.dropped)

    async def close(self) -> None:
        if self.degraded and self._journal is not None:
            await self._recover()
        await self._redis.aclose()


class PgSink:
    """Ticks and bars into PostgreSQL in batches. With a journal, every record is on disk before it is
    batched; a segment is released once stored. While PostgreSQL is away nothing is kept in memory: the
    journal holds it (bounded) and is replayed in order, before anything newer, when it returns, and
    after a crash at the next start."""

    def __init__(self, database_url: str, *, interval_s: float = 0.5, batch_size: int = 1000,
                 journal: Journal | None = None) -> None:
        self._url = database_url
        self.interval_s = interval_s
        self.batch_size = batch_size
        self._journal = journal
        self._ticks: list[Tick] = []
        self._bars: list[Bar] = []
        self._exchanges: dict[str, str] = {}
        self._known: set[str] = set()
        self._conn: psycopg.Connection | None = None
        self._full = asyncio.Event()
        self._lock = asyncio.Lock()
        self.ticks_written = 0
        self.bars_written = 0
        self.degraded = False
        if journal is not None and journal.sealed():
            self.degraded = True  # a previous run left records behind: store them first
            log("journal_replay_pending", journal=str(journal.dir), segments=len(journal.sealed()),
                bytes=journal.bytes)

    def add(self, ticks: Sequence[Tick], bars: Sequence[Bar], exchanges: dict[str, str],
            tick_texts: Sequence[str] | None = None, bar_texts: Sequence[str] | None = None) -> None:
        self._exchanges.update(exchanges)
        if self._journal is not None:
            ex = self._exchanges
            tick_texts = tick_texts if tick_texts is not None else [json_text(t.to_json()) for t in ticks]
            bar_texts = bar_texts if bar_texts is not None else [json_text(b.to_json()) for b in bars]
            self._journal.append([f"t\t{ex.get(t.symbol, '')}\t{text}" for t, text in zip(ticks, tick_texts)]
                                 + [f"b\t{ex.get(b.symbol, '')}\t{text}" for b, text in zip(bars, bar_texts)])
            if self.degraded:
                return  # on disk only until PostgreSQL is back
        self._ticks.extend(ticks)
        self._bars.extend(bars)
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
            sealed = self._journal.seal() if self._journal is not None else 0
            if self.degraded:
                await self._recover(sealed)
                return
            ticks, bars = self._ticks, self._bars
            self._ticks, self._bars = [], []
            if not ticks and not bars:
                if self._journal is not None:
                    self._journal.release(sealed)
                return
            try:
                added = await asyncio.to_thread(self._write, ticks, bars)
            except psycopg.Error as exc:
                self._drop_connection()
                if self._journal is not None:
                    self.degraded = True  # the batch is in the journal; memory is not needed
                    log("pg_unavailable", "warning", error=str(exc).strip(),
                        action=f"buffering ticks and bars to {self._journal.dir}", max_bytes=self._journal.max_bytes)
                    return
                self._ticks[:0], self._bars[:0] = ticks, bars  # keep order; retried next time
                log("pg_write_failed", "warning", error=str(exc), buffered=len(self._ticks))
                return
            self.ticks_written += added[0]
            self.bars_written += added[1]
            if self._journal is not None:
                self._journal.release(sealed)

    async def _recover(self, sealed: int) -> None:
        journal = self._journal
        assert journal is not None
        replayed = [0, 0]
        try:
            for segment in journal.sealed():
                if segment > sealed:
                    break
                ticks, bars = await asyncio.to_thread(self._parse, segment)
                added = await asyncio.to_thread(self._write, ticks, bars)
                self.ticks_written += added[0]
                self.bars_written += added[1]
                replayed[0] += len(ticks)
                replayed[1] += len(bars)
                journal.release(segment)
        except psycopg.Error as exc:
            self._drop_connection()
            if replayed != [0, 0]:
                log("pg_replay_interrupted", "warning", error=str(exc).strip(), ticks=replayed[0])
            return
        self.degraded = False
        log("pg_recovered", replayed_ticks=replayed[0], replayed_bars=replayed[1], dropped=journal.dropped)

    def _parse(self, segment: int) -> tuple[list[Tick], list[Bar]]:
        assert self._journal is not None
        ticks: list[Tick] = []
        bars: list[Bar] = []
        for line in self._journal.read(segment):
            kind, exchange, text = line.split("\t", 2)
            data = json.loads(text)
            data["ts"] = datetime.fromisoformat(data["ts"])
            data["trading_day"] = date.fromisoformat(data["trading_day"])
            if exchange:
                self._exchanges.setdefault(data["symbol"], exchange)
            (ticks if kind == "t" else bars).append((Tick if kind == "t" else Bar)(**data))  # type: ignore[arg-type]
        return ticks, bars

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
