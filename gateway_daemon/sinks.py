"""Where cleaned ticks and finished bars go: Redis (live) and PostgreSQL (history).

Redis: ``PUBLISH tick.<symbol>`` / ``bar.<symbol>`` with the JSON of each
record, and ``SET tick:last:<symbol>`` to the latest tick. PostgreSQL: ticks
and 1-minute bars are buffered and written in batches (every ``interval_s`` or
``batch_size`` ticks) on a worker thread; a batch that fails stays buffered
and is retried, so a database restart loses nothing while the process lives.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Sequence
from datetime import date, datetime

import hiredis
import psycopg
import redis
import redis.asyncio

from gateway_daemon.journal import Journal
from gateway_daemon.logs import log
from gateway_daemon.tick_json import json_text, tick_json
from shared.adapters.pg_bars import PgBarStore
from shared.adapters.pg_tick_json import insert_tick_json
from shared.adapters.pg_ticks import ensure_instrument
from shared.domain.bars import Bar
from shared.domain.ctp_quotes import exchange_of_symbol
from shared.domain.ticks import Tick
from shared.domain.topics import bar_topic, tick_topic

LAST_TICK_KEY = "tick:last:{symbol}"
# ARGV holds (channel, message) pairs in order; an empty channel means "SET the next KEY to the message"
PUBLISH_SCRIPT = """
local k = 1
for i = 1, #ARGV, 2 do
  if ARGV[i] == '' then
    redis.call('SET', KEYS[k], ARGV[i + 1])
    k = k + 1
  else
    redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
  end
end
return #ARGV / 2
"""


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
        self._script_sha = hashlib.sha1(PUBLISH_SCRIPT.encode()).hexdigest()
        self._tick_topics: dict[str, str] = {}

    async def write(self, ticks: Sequence[tuple[str, str]], bars: Sequence[tuple[str, str]]) -> None:
        """Publish each (symbol, record JSON) and keep each symbol's latest tick."""
        if not ticks and not bars and not self.degraded:
            return
        latest = dict(ticks)  # each symbol's last tick
        topics = self._tick_topics
        args: list[str] = []
        for symbol, text in ticks:
            topic = topics.get(symbol)
            if topic is None:
                topic = topics[symbol] = tick_topic(symbol)
            args.append(topic)
            args.append(text)
        keys = [LAST_TICK_KEY.format(symbol=symbol) for symbol in latest]
        for text in latest.values():
            args.append("")  # "" = SET the next key
            args.append(text)
        for symbol, text in bars:
            args.append(bar_topic(symbol))
            args.append(text)
        if self.degraded and self._journal is not None:
            self._journal.append(_journal_lines(keys, args))
            if time.monotonic() >= self._next_try:
                await self._recover()
            return
        try:
            await self._send(keys, args)
        except redis.RedisError as exc:
            self.errors += 1
            if self._journal is None:  # live data only: the next batch tries again
                log("redis_write_failed", "warning", error=str(exc), ticks=len(ticks), bars=len(bars))
                return
            self.degraded = True
            self._next_try = time.monotonic() + self.RETRY_S
            self._journal.append(_journal_lines(keys, args))
            log("redis_unavailable", "warning", error=str(exc), action=f"buffering to {self._journal.dir}")

    async def _send(self, keys: Sequence[str], args: Sequence[str]) -> None:
        """The batch as ONE script call (``PUBLISH_SCRIPT``): a reply per PUBLISH was the largest cost per tick."""
        if not args:
            return
        packed = hiredis.pack_command(("EVALSHA", self._script_sha, len(keys), *keys, *args))
        pool = self._redis.connection_pool
        conn = await pool.get_connection()
        try:
            await conn.send_packed_command(packed, check_health=False)
            try:
                await conn.read_response()
            except redis.exceptions.NoScriptError:  # a restarted or flushed server: load it and send again
                await conn.send_command("SCRIPT", "LOAD", PUBLISH_SCRIPT)
                await conn.read_response()
                await conn.send_packed_command(packed, check_health=False)
                await conn.read_response()
        except BaseException:
            await conn.disconnect()
            raise
        finally:
            await pool.release(conn)

    async def _recover(self) -> None:
        """Publish the journal in order; back to direct writes when it is empty."""
        journal = self._journal
        assert journal is not None
        sealed = journal.seal()
        try:
            for segment in journal.sealed():
                if segment > sealed:
                    break
                keys: list[str] = []
                args: list[str] = []
                for line in journal.read(segment):
                    kind, key, text = line.split("\t", 2)
                    if kind == "s":
                        keys.append(key)
                    args.append(key if kind == "p" else "")
                    args.append(text)
                    if len(args) >= 10_000:
                        await self._send(keys, args)
                        self.replayed += len(args) // 2
                        keys, args = [], []
                await self._send(keys, args)
                self.replayed += len(args) // 2
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

    # batch_size: 5,000 ticks a statement took 6.6 us of PostgreSQL CPU a tick where 1,000 took 7.5 (bench_daemon)
    def __init__(self, database_url: str, *, interval_s: float = 0.5, batch_size: int = 5000,
                 journal: Journal | None = None) -> None:
        self._url = database_url
        self.interval_s = interval_s
        self.batch_size = batch_size
        self._journal = journal
        self._ticks: list[str] = []  # JSON text: PostgreSQL parses it (see shared.adapters.pg_tick_json)
        self._symbols: set[str] = set()
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
        """``tick_texts``: each tick's ``tick_json`` when the caller has it already."""
        self._exchanges.update(exchanges)
        tick_texts = tick_texts if tick_texts is not None else [tick_json(t) for t in ticks]
        symbols = {t.symbol for t in ticks}
        if self._journal is not None:
            ex = self._exchanges
            bar_texts = bar_texts if bar_texts is not None else [json_text(b.to_json()) for b in bars]
            self._journal.append([f"t\t{ex.get(t.symbol, '')}\t{text}" for t, text in zip(ticks, tick_texts)]
                                 + [f"b\t{ex.get(b.symbol, '')}\t{text}" for b, text in zip(bars, bar_texts)])
            if self.degraded:
                return  # on disk only until PostgreSQL is back
        self._ticks.extend(tick_texts)
        self._symbols |= symbols
        self._bars.extend(bars)
        if len(self._ticks) >= self.batch_size:
            self._full.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Flush every ``interval_s`` (sooner when a batch is full) until ``stop``; a stop during the wait
        ends it at once, after one more flush."""
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                full = asyncio.ensure_future(self._full.wait())
                await asyncio.wait((full, stopping), timeout=self.interval_s, return_when=asyncio.FIRST_COMPLETED)
                full.cancel()
                self._full.clear()
                await self.flush()
        finally:
            stopping.cancel()

    async def flush(self) -> None:
        async with self._lock:
            sealed = self._journal.seal() if self._journal is not None else 0
            if self.degraded:
                await self._recover(sealed)
                return
            ticks, bars, symbols = self._ticks, self._bars, self._symbols
            self._ticks, self._bars, self._symbols = [], [], set()
            if not ticks and not bars:
                if self._journal is not None:
                    self._journal.release(sealed)
                return
            try:
                added = await asyncio.to_thread(self._write, ticks, bars, symbols)
            except psycopg.Error as exc:
                self._drop_connection()
                if self._journal is not None:
                    self.degraded = True  # the batch is in the journal; memory is not needed
                    log("pg_unavailable", "warning", error=str(exc).strip(),
                        action=f"buffering ticks and bars to {self._journal.dir}", max_bytes=self._journal.max_bytes)
                    return
                self._ticks[:0], self._bars[:0] = ticks, bars  # keep order; retried next time
                self._symbols |= symbols
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
                ticks, bars, symbols = await asyncio.to_thread(self._parse, segment)
                added = await asyncio.to_thread(self._write, ticks, bars, symbols)
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

    def _parse(self, segment: int) -> tuple[list[str], list[Bar], set[str]]:
        """A journal segment as tick texts (stored as they are), bars and the ticks' symbols."""
        assert self._journal is not None
        ticks: list[str] = []
        bars: list[Bar] = []
        symbols: set[str] = set()
        for line in self._journal.read(segment):
            kind, exchange, text = line.split("\t", 2)
            if kind == "t":
                ticks.append(text)
                symbol = text[11:text.find('"', 11)]  # tick_json writes the symbol first
                if not text.startswith('{"symbol":"') or "\\" in symbol:
                    symbol = json.loads(text)["symbol"]
                symbols.add(symbol)
            else:
                data = json.loads(text)
                data["ts"] = datetime.fromisoformat(data["ts"])
                data["trading_day"] = date.fromisoformat(data["trading_day"])
                symbol = data["symbol"]
                bars.append(Bar(**data))
            if exchange:
                self._exchanges.setdefault(symbol, exchange)
        return ticks, bars, symbols

    def close(self) -> None:
        self._drop_connection()

    def _write(self, ticks: list[str], bars: list[Bar], symbols: set[str]) -> tuple[int, int]:
        conn = self._connection()
        for symbol in symbols | {b.symbol for b in bars}:
            if symbol not in self._known:
                # the feed's ExchangeID, else the product's exchange (feeds that leave ExchangeID empty)
                exchange = self._exchanges.get(symbol) or exchange_of_symbol(symbol)
                if exchange:
                    ensure_instrument(conn, symbol, exchange)
                    self._known.add(symbol)
        tick_rows = insert_tick_json(conn, ticks) if ticks else 0
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


def _journal_lines(keys: Sequence[str], args: Sequence[str]) -> list[str]:
    """A script call's pairs as journal lines, in order: ``p<TAB>channel<TAB>text`` or ``s<TAB>key<TAB>text``."""
    lines = []
    next_key = iter(keys)
    for i in range(0, len(args), 2):
        target, text = args[i], args[i + 1]
        lines.append(f"p\t{target}\t{text}" if target else f"s\t{next(next_key)}\t{text}")
    return lines
