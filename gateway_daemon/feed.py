"""The hand-over from a market-data thread to the daemon's event loop.

CTP calls its SPI on its own thread, where no event loop runs; the replay
source does the same on purpose. Both call ``TickFeed.put`` from that thread,
which schedules the item on the loop with ``call_soon_threadsafe`` (never
``create_task``). A bounded semaphore makes a producer that outruns the loop
wait instead of filling memory.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any, Protocol


class Marker:
    """A control item in the feed, in order with the ticks around it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Marker({self.name})"


END_OF_PASS = Marker("end_of_pass")  # a replay pass ended; another starts from the file's beginning
END_OF_SOURCE = Marker("end_of_source")  # nothing more will come


class MarketSource(Protocol):
    """Anything that puts CTP DepthMarketData dicts into a feed from its own thread: the replay
    source now, the CTP MdSpi later. It marks END_OF_SOURCE on the feed when it is done or stopped."""

    def start(self, feed: TickFeed) -> None: ...

    def stop(self) -> None: ...


class TickFeed:
    def __init__(self, loop: asyncio.AbstractEventLoop, max_pending: int = 20_000) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[Mapping[str, Any] | Marker] = asyncio.Queue()
        self._room = threading.Semaphore(max_pending)
        self._closed = threading.Event()
        # items wait here until the loop moves them; one wake-up per burst instead of one per tick
        self._pending: list[Mapping[str, Any] | Marker] = []
        self._pending_lock = threading.Lock()
        self._scheduled = False

    def put(self, fields: Mapping[str, Any]) -> bool:
        """Called from the producer's thread; False when the feed was closed meanwhile."""
        while not self._room.acquire(timeout=0.2):
            if self._closed.is_set():
                return False
        if self._closed.is_set():
            return False
        self._hand_over(fields)
        return True

    def mark(self, marker: Marker) -> None:
        """Queue a control marker behind the items already put (any thread)."""
        self._hand_over(marker)

    def _hand_over(self, item: Mapping[str, Any] | Marker) -> None:
        with self._pending_lock:
            self._pending.append(item)
            if self._scheduled:
                return
            self._scheduled = True
        self._loop.call_soon_threadsafe(self._move_pending)

    def _move_pending(self) -> None:
        """On the loop: everything handed over since the last wake-up, in order."""
        with self._pending_lock:
            items, self._pending = self._pending, []
            self._scheduled = False
        for item in items:
            self._queue.put_nowait(item)

    def close(self) -> None:
        """Release a producer blocked in ``put`` (shutdown)."""
        self._closed.set()

    async def get_batch(self, max_items: int = 1000) -> list[Mapping[str, Any] | Marker]:
        """Wait for one item, then take whatever else is queued, up to ``max_items``."""
        batch = [await self._queue.get()]
        while len(batch) < max_items and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        for item in batch:
            if not isinstance(item, Marker):
                self._room.release()
        return batch
