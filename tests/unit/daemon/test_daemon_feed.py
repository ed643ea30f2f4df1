"""The hand-over from a CTP thread to the loop: order kept, a bounded backlog, close releases a producer."""
from __future__ import annotations

import asyncio
import threading
import time

from gateway_daemon.feed import END_OF_SOURCE, TickFeed


def _wait(condition, what: str) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def test_a_producer_waits_at_the_bound_and_order_is_kept() -> None:
    async def scenario() -> tuple[list, list]:
        feed = TickFeed(asyncio.get_running_loop(), max_pending=3)
        results: list[bool] = []

        def produce() -> None:
            for n in range(7):
                results.append(feed.put({"n": n}))
            feed.mark(END_OF_SOURCE)

        producer = threading.Thread(target=produce)
        producer.start()
        await asyncio.to_thread(_wait, lambda: len(results) == 3, "three put")
        await asyncio.sleep(0.05)
        assert len(results) == 3 and producer.is_alive()  # the fourth waits for room
        items: list = []
        while END_OF_SOURCE not in items:
            items.extend(await feed.get_batch(max_items=2))
        producer.join()
        return items, results

    items, results = asyncio.run(scenario())
    assert items == [{"n": n} for n in range(7)] + [END_OF_SOURCE]
    assert results == [True] * 7


def test_close_releases_a_blocked_producer() -> None:
    async def scenario() -> list[bool]:
        feed = TickFeed(asyncio.get_running_loop(), max_pending=1)
        results: list[bool] = []
        producer = threading.Thread(target=lambda: results.extend([feed.put({"n": 0}), feed.put({"n": 1})]))
        producer.start()
        await asyncio.sleep(0.1)
        feed.close()
        await asyncio.to_thread(producer.join, 5)
        return results

    assert asyncio.run(scenario()) == [True, False]
