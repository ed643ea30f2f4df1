"""The replay source: CTP-typed rows in event-time order, paced, handed to the loop from its own thread."""
from __future__ import annotations

import asyncio
import gzip
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from gateway_daemon.feed import END_OF_PASS, END_OF_SOURCE, TickFeed
from gateway_daemon.replay import ReplaySource, load_rows

HEADER = "TradingDay,InstrumentID,ExchangeID,ActionDay,UpdateTime,UpdateMillisec,LastPrice,Volume,OpenInterest," \
         "BidPrice1,BidVolume1,AskPrice1,AskVolume1\n"
# the first rows of rb1805 and cu1801 in data/ticks_ctp_5_contracts_20171113.csv.gz, grouped by instrument
ROWS = [
    "20171113,rb1805,SHFE,20171110,20:59:00,500,3810.0,4668,2190030.0,3808.0,5,3810.0,155",
    "20171113,rb1805,SHFE,20171110,21:00:00,500,3813.0,6168,2189760.0,3813.0,56,3814.0,161",
    "20171113,rb1805,SHFE,20171110,21:00:01,0,3820.0,17740,2188160.0,3814.0,1506,3820.0,5",
    "20171113,cu1801,SHFE,20171110,20:59:00,500,53600.0,144,170006.0,53600.0,6,53610.0,22",
    "20171113,cu1801,SHFE,20171110,21:00:00,500,53610.0,276,170058.0,53610.0,1,53620.0,17",
]


@pytest.fixture
def ticks_file(tmp_path: Path) -> Path:
    path = tmp_path / "ticks.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(HEADER + "\n".join(ROWS) + "\n")
    return path


def test_rows_are_ctp_typed_and_in_event_time_order(ticks_file: Path) -> None:
    rows = load_rows(ticks_file)
    order = [(r["InstrumentID"], r["UpdateTime"], r["UpdateMillisec"]) for r in rows]
    # equal times keep the file's order (rb1805 before cu1801)
    assert order == [("rb1805", "20:59:00", 500), ("cu1801", "20:59:00", 500), ("rb1805", "21:00:00", 500),
                     ("cu1801", "21:00:00", 500), ("rb1805", "21:00:01", 0)]
    first = rows[0]
    assert first["TradingDay"] == "20171113" and first["ActionDay"] == "20171110"
    assert first["LastPrice"] == 3810.0 and isinstance(first["LastPrice"], float)
    assert first["Volume"] == 4668 and isinstance(first["Volume"], int)
    assert first["BidVolume1"] == 5 and first["AskPrice1"] == 3810.0


def test_symbols_filter(ticks_file: Path) -> None:
    assert {r["InstrumentID"] for r in load_rows(ticks_file, ["cu1801"])} == {"cu1801"}


async def _drain(source: ReplaySource) -> tuple[list[Any], float, set[str]]:
    feed = TickFeed(asyncio.get_running_loop())
    threads: set[str] = set()
    original = feed.put

    def put(fields: Any) -> bool:
        threads.add(threading.current_thread().name)
        return original(fields)

    feed.put = put  # type: ignore[method-assign]
    started = time.monotonic()
    source.start(feed)
    items: list[Any] = []
    while END_OF_SOURCE not in items:
        items.extend(await feed.get_batch())
    return items, time.monotonic() - started, threads


def test_replay_is_paced_by_timestamps(ticks_file: Path) -> None:
    rows = load_rows(ticks_file)
    # the rows span 20:59:00.5 .. 21:00:01.0: 60.5 s of market time, 0.121 s at speed 500
    items, elapsed_s, threads = asyncio.run(_drain(ReplaySource(rows, speed=500)))
    assert items[:-2] == rows and items[-2:] == [END_OF_PASS, END_OF_SOURCE]
    assert 0.1 <= elapsed_s < 1.0
    assert threads == {"replay"}  # fed from the source's own thread, like a CTP SPI


def test_long_gaps_are_shortened(ticks_file: Path) -> None:
    rows = load_rows(ticks_file)
    # at speed 1 the 59.5 s gap after 20:59:00.5 would take a minute; max_pause_s caps it
    _, elapsed_s, _ = asyncio.run(_drain(ReplaySource(rows, speed=1, max_pause_s=0.05)))
    assert elapsed_s < 1.0


def test_loop_replays_again_and_stop_ends_it(ticks_file: Path) -> None:
    rows = load_rows(ticks_file)

    async def run() -> list[Any]:
        source = ReplaySource(rows, speed=1e9, loop=True)
        feed = TickFeed(asyncio.get_running_loop())
        source.start(feed)
        items: list[Any] = []
        while items.count(END_OF_PASS) < 3:
            items.extend(await feed.get_batch())
        source.stop()
        while END_OF_SOURCE not in items:
            items.extend(await feed.get_batch())
        return items

    items = asyncio.run(run())
    assert items[:len(rows)] == rows and items[len(rows)] is END_OF_PASS
    assert items[len(rows) + 1:2 * len(rows) + 1] == rows
