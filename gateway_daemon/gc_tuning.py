"""The daemon process's garbage collector, set for a steady stream of short-lived objects.

Each tick makes a few container objects (its quote, its tick, list entries) that
reference counting frees at once; the cyclic collector only counts them. At
CPython's default threshold (700 allocations) that was a young collection every
~500 ticks and, every ~100,000 ticks, a full one over everything the imports made
(pandas, numpy, exchange_calendars): 50 ms, with ticks waiting behind it.
``gc.freeze()`` once start-up is done takes those objects out of the collector's
sight, and a young threshold of 20,000 makes the collections rarer.
"""
from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def tune_gc() -> None:
    """Call once start-up is done, before the first tick."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
