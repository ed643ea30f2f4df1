"""The daemon process's garbage collector, set for a steady stream of short-lived objects.

Each tick makes a few container objects (its quote, its tick, list entries),
most of them freed by reference counting at once, and the cyclic collector runs
on what is left over. At CPython's default threshold (700) bench_daemon's 300,000
ticks saw 230 young, 21 middle and one full collection, 110-150 ms in all; the
full one, over everything the imports made (pandas, numpy, exchange_calendars),
took 55-77 ms with the ticks waiting behind it. ``gc.freeze()`` once start-up is
done takes those objects out of the collector's sight, and a young threshold of
20,000 left no collection at all in that run.
"""
from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def tune_gc() -> None:
    """Call once start-up is done, before the first tick."""
    gc.collect()  # start-up's garbage is freed, not frozen with the rest
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
