"""The daemon's drop counts include the bar builder's: a tick whose minute the market clock already closed."""
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
