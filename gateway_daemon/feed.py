"""The hand-over from a market-data thread to the daemon's event loop.

CTP calls its SPI on its own thread, where no event loop runs; the replay
source does the same on purpose. Both call ``TickFeed.put`` from that thread,
which hands the item to the loop with ``call_soon_threadsafe`` (never
``create_task``), once per burst. A bound on the ticks not yet taken makes a
producer that outruns the loop wait instead of filling memory; a small batch
lingers ``linger_s`` for more to arrive.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from shared.domain.ctp_quotes import Quote


class Marker:
    """A control item in the feed, in order with the ticks around it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Marker({self.name})"


END_OF_PASS = Marker("end_of_pass")  # a replay pass ended; another starts from the file's beginning
END_OF_SOURCE = Marker("end_of_source")  # nothing more will come


class MarketSource(Protocol):
    """Anything that puts market data into a feed from its own thread: the CTP MdSession (parsed
    ``Quote``s, or a fields dict the fast parser did not take) and the replay source (CTP fields dicts).
    It marks END_OF_SOURCE on the feed when it is done or stopped."""

    def start(self, feed: TickFeed) -> None: ...

    def stop(self) -> None: ...


class TickFeed:
    def __init__(self, loop: asyncio.AbstractEventLoop, max_pending: int = 20_000, linger_s: float = 0.002) -> None:
        self._loop = loop
        self._max_pending = max_pending
        self.linger_s = linger_s
        self._closed = False  # set once, by close(), from any thread
        # items wait in _pending until the loop moves them to _ready: one wake-up per burst, not per tick;
        # _waiting counts the items not yet taken by get_batch (the producer waits while it is at the bound)
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)
        self._pending: list[Quote | Mapping[str, Any] | Marker] = []
        self._waiting = 0
        self._scheduled = False
        self._ready: list[Quote | Mapping[str, Any] | Marker] = []
        self._arrived = asyncio.Event()

    def put(self, item: Quote | Mapping[str, Any]) -> bool:
        """Called from the producer's thread; False when the feed was closed meanwhile."""
        with self._lock:  # _room's lock: the condition's own __enter__ is a Python call, per tick
            while self._waiting >= self._max_pending:
                if self._closed:
                    return False
                self._room.wait(0.2)
            if self._closed:
                return False
            self._waiting += 1
            self._pending.append(item)
            if self._scheduled:
                return True
            self._scheduled = True
        self._loop.call_soon_threadsafe(self._move_pending)
        return True

    def mark(self, marker: Marker) -> None:
        """Queue a control marker behind the items already put (any thread)."""
        with self._lock:
            self._waiting += 1
            self._pending.append(marker)
            if self._scheduled:
                return
            self._scheduled = True
        self._loop.call_soon_threadsafe(self._move_pending)

    def _move_pending(self) -> None:
        """On the loop: everything handed over since the last wake-up, in order."""
        with self._lock:
            items, self._pending = self._pending, []
            self._scheduled = False
        self._ready.extend(items)
        self._arrived.set()

    def close(self) -> None:
        """Release a producer blocked in ``put`` (shutdown)."""
        with self._room:
            self._closed = True
            self._room.notify_all()

    async def get_batch(self, max_items: int = 1000) -> list[Quote | Mapping[str, Any] | Marker]:
        """Wait for one item, then take whatever else is queued, up to ``max_items``."""
        while not self._ready:
            self._arrived.clear()
            await self._arrived.wait()
        if self.linger_s and len(self._ready) < max_items // 4:
            # a small batch: let the producer add to it for a moment. Without this the loop and a busy
            # producer settle into tiny batches whose fixed costs (a Redis round trip, a journal write)
            # cut throughput by a third (bench_daemon: 28k -> 39k ticks/s); it costs linger_s of delay
            await asyncio.sleep(self.linger_s)
            self._move_pending()
        batch = self._ready[:max_items]
        del self._ready[:max_items]
        with self._room:
            self._waiting -= len(batch)
            self._room.notify()
        return batch
