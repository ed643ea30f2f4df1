"""The daemon pipeline's market clock: bars finished by it (also while the feed is quiet), and the late ticks it causes."""
from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from gateway_daemon.feed import END_OF_SOURCE
from gateway_daemon.pipeline import Pipeline


def rb(symbol: str, clock: str, ms: int, last: float, volume: int) -> dict[str, Any]:
    return {"TradingDay": "20240105", "ActionDay": "20240105", "InstrumentID": symbol, "ExchangeID": "SHFE",
            "UpdateTime": clock, "UpdateMillisec": ms, "LastPrice": last, "Volume": volume,
            "OpenInterest": 1000.0, "BidPrice1": last - 1, "BidVolume1": 1, "AskPrice1": last + 1, "AskVolume1": 1}


class Batches:
    def __init__(self, *batches: list[Any]) -> None:
        self._batches = list(batches)

    async def get_batch(self, max_items: int = 1000) -> list[Any]:
        return self._batches.pop(0)


class Sink:
    def __init__(self) -> None:
        self.bars: list[Any] = []

    def add(self, ticks, bars, *_: Any) -> None:
        self.bars += bars

    async def write(self, ticks, bars) -> None:
        pass


def test_a_tick_for_a_minute_the_clock_closed_is_counted() -> None:
    pg = Sink()
    pipeline = Pipeline(Sink(), pg, None)  # type: ignore[arg-type]
    asyncio.run(pipeline.run(Batches(  # type: ignore[arg-type]
        # hc's 10:02:30 tick moves the market clock past rb's 10:01 bar, which is then finished
        [rb("rb2405", "10:01:58", 0, 3500, 1000), rb("hc2405", "10:02:30", 0, 3400, 500)],
        # rb's next tick, still for 10:01, arrives after that: in order for the cleaner, late for the bars
        [rb("rb2405", "10:01:59", 900, 3501, 1002), rb("hc2405", "10:03:00", 0, 3401, 510)],
        [END_OF_SOURCE],
    )))
    assert pipeline.dropped == Counter({"late": 1})
    assert [(b.symbol, b.ts.strftime("%H:%M"), b.close, b.volume) for b in pg.bars] == [
        ("rb2405", "10:01", 3500, 0), ("hc2405", "10:02", 3400, 0)]


QUIET = "quiet"  # the feed has nothing: get_batch waits until the pipeline stops waiting


class QuietFeed:
    def __init__(self, *batches: Any) -> None:
        self._batches = list(batches)

    async def get_batch(self, max_items: int = 1000) -> list[Any]:
        batch = self._batches.pop(0)
        if batch == QUIET:
            await asyncio.sleep(5)  # cancelled by the pipeline's idle timeout long before
            raise AssertionError("the pipeline waited for ticks while a bar was open")
        return batch


def elapsed(*seconds: float):
    """A monotonic clock reading the given values, one per call, then the last one again."""
    values = list(seconds)
    return lambda: values.pop(0) if len(values) > 1 else values[0]


class Recorder(Sink):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def add(self, ticks, bars, *_: Any) -> None:
        super().add(ticks, bars)
        self.calls.append([b.ts.strftime("%H:%M") for b in bars])


def test_case_5_the_last_bar_before_the_break_is_published_when_the_market_goes_quiet() -> None:
    pg = Recorder()
    pipeline = Pipeline(Sink(), pg, None, idle_s=0.01,  # type: ignore[arg-type]
                        monotonic=elapsed(0.0, 0.4, 0.6, 0.6, 900.0))  # s since the closing tick, per batch
    asyncio.run(pipeline.run(QuietFeed(  # type: ignore[arg-type]
        [rb("rb2405", "10:14:58", 500, 3500, 1000), rb("rb2405", "10:14:59", 500, 3502, 1010),
         rb("rb2405", "10:15:00", 0, 3503, 1012)],
        QUIET,   # 0.4 s later the market clock reads 10:15:00.4: the closing tick may still come
        QUIET,   # 0.6 s later: 10:15:00.6 ... still within the 1 s grace
        [],      # (an empty hand-over changes nothing either)
        [rb("rb2405", "10:30:00", 500, 3504, 1020)],
        [END_OF_SOURCE],
    )))
    assert pg.calls == [[], ["10:14"]]  # quiet only within the 1 s grace: published when trading resumed
    # a second run with the clock passing 10:15:01.0 while quiet
    pg = Recorder()
    pipeline = Pipeline(Sink(), pg, None, idle_s=0.01, monotonic=elapsed(0.0, 1.2, 900.0))  # type: ignore[arg-type]
    asyncio.run(pipeline.run(QuietFeed(  # type: ignore[arg-type]
        [rb("rb2405", "10:14:58", 500, 3500, 1000), rb("rb2405", "10:14:59", 500, 3502, 1010),
         rb("rb2405", "10:15:00", 0, 3503, 1012)],
        QUIET,   # 1.2 s later: 10:15:01.2, the 10:14 bar is complete
        [rb("rb2405", "10:30:00", 500, 3504, 1020)],
        [END_OF_SOURCE],
    )))
    assert pg.calls == [[], ["10:14"], []]
    (bar,) = [b for b in pg.bars if b.ts.strftime("%H:%M") == "10:14"]
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (3500, 3503, 3500, 3503, 12)


def test_the_trading_calendar_is_read_before_the_first_tick() -> None:
    # reading it took 0.15-0.3 s, and the first ticks after a start waited for it (bench_daemon's first 50 ms:
    # 158 ms at p100 before, 30 ms after); a fresh interpreter, since this one may have read it already
    import subprocess
    import sys

    probe = ("import sys; from gateway_daemon.pipeline import Pipeline; "
             "assert 'exchange_calendars' not in sys.modules; Pipeline(None, None, None); "
             "from shared.domain.calendar import _sessions; print(_sessions.cache_info().currsize)")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "1"
