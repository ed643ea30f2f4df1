"""Replay recorded CTP ticks as if a front were sending them.

Rows come out as ``CThostFtdcDepthMarketDataField``-shaped dicts (CTP field
names; prices float, volumes int, days and times strings), in event-time order
(a stable sort keeps the file's order among equal times; a file grouped by
instrument is interleaved the way the market produced it), paced by their
timestamps divided by ``speed``. Session breaks (night close to day open) are
shortened to ``max_pause_s`` of wall time. The thread that runs the replay
hands rows to the loop through ``TickFeed``, exactly as a CTP SPI thread will.
"""
from __future__ import annotations

import csv
import gzip
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from gateway_daemon.feed import END_OF_PASS, END_OF_SOURCE, TickFeed

STRING_FIELDS = {"TradingDay", "ActionDay", "UpdateTime", "InstrumentID", "ExchangeID"}
INT_FIELDS = {"Volume", "UpdateMillisec", "BidVolume1", "AskVolume1", "BidVolume2", "AskVolume2",
              "BidVolume3", "AskVolume3", "BidVolume4", "AskVolume4", "BidVolume5", "AskVolume5"}


def load_rows(path: str | Path, symbols: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The file's rows as CTP-typed dicts (only ``symbols`` when given), in event-time order."""
    wanted = set(symbols) if symbols else None
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        rows = [_typed(row) for row in csv.DictReader(fh) if wanted is None or row["InstrumentID"] in wanted]
    rows.sort(key=event_time)  # stable: equal times keep file order
    return rows


def _typed(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, text in row.items():
        if key in STRING_FIELDS:
            out[key] = text
        elif key in INT_FIELDS:
            out[key] = int(float(text)) if text else 0
        else:
            out[key] = float(text) if text else 0.0
    return out


_day_seconds: dict[str, float] = {}


def event_time(row: dict[str, Any]) -> float:
    """Seconds on a local wall-clock scale (ActionDay + UpdateTime + UpdateMillisec); only differences matter."""
    day = row["ActionDay"]
    base = _day_seconds.get(day)
    if base is None:
        base = _day_seconds[day] = date(int(day[:4]), int(day[4:6]), int(day[6:8])).toordinal() * 86400.0
    hh, mm, ss = row["UpdateTime"].split(":")
    return base + int(hh) * 3600 + int(mm) * 60 + int(ss) + row.get("UpdateMillisec", 0) / 1000.0


class ReplaySource:
    """Plays ``rows`` into a feed from its own thread; ``stop()`` ends it early."""

    def __init__(self, rows: Sequence[dict[str, Any]], speed: float = 1.0, *, loop: bool = False,
                 max_pause_s: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.rows = rows
        self.speed = speed
        self.loop = loop
        self.max_pause_s = max_pause_s
        self.passes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, feed: TickFeed) -> None:
        self._thread = threading.Thread(target=self._run, args=(feed,), name="replay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout_s: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self, feed: TickFeed) -> None:
        try:
            # END_OF_PASS only after a complete pass: its last bars are then complete too
            while self._play_once(feed):
                self.passes += 1
                feed.mark(END_OF_PASS)
                if not self.loop:
                    break
        finally:
            feed.mark(END_OF_SOURCE)

    def _play_once(self, feed: TickFeed) -> bool:
        """True when every row was played, False when stopped."""
        start_wall = time.monotonic()
        previous: float | None = None
        behind_s = 0.0  # market time skipped over by shortened pauses, in wall seconds
        first: float | None = None
        for row in self.rows:
            if self._stop.is_set():
                return False
            t = event_time(row)
            if first is None:
                first = previous = t
            gap_s = (t - previous) / self.speed
            if gap_s > self.max_pause_s:
                behind_s += gap_s - self.max_pause_s
            previous = t
            wait_s = start_wall + (t - first) / self.speed - behind_s - time.monotonic()
            if wait_s > 0.001 and self._stop.wait(wait_s):
                return False
            if not feed.put(row):
                return False
        return True
