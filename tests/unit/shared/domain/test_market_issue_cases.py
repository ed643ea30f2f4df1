"""Issue 3's cases 1-7, each with the issue's exact values (2024-01-05 is a Friday, 2024-01-08 the Monday after)."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import pandas as pd
from market_samples import SH

from shared.domain.bars import Bar, MinuteBarBuilder, PeriodBarBuilder, bars_frame, resample
from shared.domain.sessions import trading_day
from shared.domain.tick_bars import minute_bars_from_ticks, ticks_frame
from shared.domain.ticks import Tick, TickCleaner

DBL_MAX = 1.7976931348623157e308


def ctp(symbol: str, exchange: str, trading: str, action: str, clock: str, ms: int, last: float,
        volume: int, **extra: Any) -> dict[str, Any]:
    return {"TradingDay": trading, "ActionDay": action, "InstrumentID": symbol, "ExchangeID": exchange,
            "UpdateTime": clock, "UpdateMillisec": ms, "LastPrice": last, "Volume": volume,
            "OpenInterest": 100000.0, "BidPrice1": last - 1, "BidVolume1": 5, "AskPrice1": last + 1,
            "AskVolume1": 7, **extra}


def rb(clock_ms: str, last: float, volume: int, *, trading: str = "20240105", action: str = "20240105") -> dict:
    clock, _, ms = clock_ms.partition(".")
    return ctp("rb2405", "SHFE", trading, action, clock, int(ms or 0), last, volume)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def ohlcv(bar: Bar) -> tuple[float, float, float, float, int]:
    return bar.open, bar.high, bar.low, bar.close, bar.volume


def run(records: list[dict]) -> tuple[list[Tick], TickCleaner]:
    cleaner = TickCleaner()
    return [t for t in map(cleaner.clean, records) if t is not None], cleaner


def assert_vectorised_agrees(ticks: list[Tick], streamed: list[Bar]) -> None:
    vectorised = minute_bars_from_ticks(ticks_frame(ticks))
    got = [(r.ts, r.open, r.high, r.low, r.close, r.volume) for r in vectorised.itertuples()]
    assert got == [(pd.Timestamp(b.ts), *ohlcv(b)) for b in streamed]


def test_case1_milliseconds_are_an_integer_count() -> None:
    ticks, _ = run([ctp("i2405", "DCE", "20240105", "20240105", "09:00:00", ms, 1000.0, 500 + n)
                    for n, ms in enumerate((5, 85, 609))])
    assert [t.ts for t in ticks] == [at(2024, 1, 5, 9, 0, 0, us) for us in (5000, 85000, 609000)]
    assert [t.ts.isoformat(timespec="milliseconds")[11:23] for t in ticks] == [
        "09:00:00.005", "09:00:00.085", "09:00:00.609"]
    assert ticks[0].ts < ticks[1].ts < ticks[2].ts


def test_case2_night_ticks_get_the_right_date_and_trading_day() -> None:
    records = [
        ctp("m2405", "DCE", "20240108", "20240108", "21:05:00", 500, 3000.0, 10),
        ctp("SA405", "CZCE", "20240105", "20240105", "21:05:00", 0, 2000.0, 10),
        ctp("au2406", "SHFE", "20240108", "20240106", "00:30:00", 500, 480.0, 10),
    ]
    ticks, cleaner = run(records)
    assert [(t.symbol, t.ts, t.trading_day) for t in ticks] == [
        ("m2405", at(2024, 1, 5, 21, 5, 0, 500000), date(2024, 1, 8)),
        ("SA405", at(2024, 1, 5, 21, 5, 0, 0), date(2024, 1, 8)),
        ("au2406", at(2024, 1, 6, 0, 30, 0, 500000), date(2024, 1, 8)),
    ]
    assert not cleaner.dropped


def test_case3_daily_bars_by_trading_day() -> None:
    rows = [  # ts, open, high, low, close, volume
        (at(2024, 1, 5, 9, 0), 3500, 3510, 3495, 3505, 100),
        (at(2024, 1, 5, 14, 59), 3505, 3520, 3500, 3518, 200),
        (at(2024, 1, 5, 21, 0), 3520, 3530, 3515, 3525, 150),
        (at(2024, 1, 5, 22, 59), 3525, 3528, 3490, 3495, 120),
        (at(2024, 1, 8, 9, 0), 3496, 3500, 3480, 3485, 180),
        (at(2024, 1, 8, 14, 59), 3485, 3540, 3484, 3535, 210),
    ]
    frame = pd.DataFrame(rows, columns=["ts", "open", "high", "low", "close", "volume"])
    frame["ts"] = pd.to_datetime(frame["ts"]).dt.tz_convert(SH)
    frame["trading_day"] = [trading_day(ts, "rb") for ts in frame["ts"]]
    frame["open_interest"] = float("nan")
    daily = resample(frame, "1d", symbol="rb2405")
    assert [(r.trading_day, r.open, r.high, r.low, r.close, r.volume) for r in daily.itertuples()] == [
        (date(2024, 1, 5), 3500, 3520, 3495, 3518, 300),
        (date(2024, 1, 8), 3520, 3540, 3480, 3535, 660),
    ]
    # the wrong answer a calendar-day grouping gives for 01-05
    calendar_day = frame[frame["ts"].dt.date == date(2024, 1, 5)]
    assert (calendar_day["open"].iloc[0], calendar_day["high"].max(), calendar_day["low"].min(),
            calendar_day["close"].iloc[-1], calendar_day["volume"].sum()) == (3500, 3530, 3490, 3495, 570)


def test_case4_cumulative_volume_resets_at_the_night_open() -> None:
    ticks, _ = run([
        rb("14:59:59.500", 3500, 250000),
        rb("15:00:00.000", 3501, 250010),
        rb("21:00:00.500", 3510, 1200, trading="20240108"),
        rb("21:00:01.000", 3512, 1350, trading="20240108"),
        rb("21:01:00.500", 3513, 1400, trading="20240108"),
    ])
    builder = MinuteBarBuilder()
    bars = [b for t in ticks for b in builder.on_tick(t)]
    assert [(b.ts, b.trading_day, ohlcv(b)) for b in bars] == [
        (at(2024, 1, 5, 14, 59), date(2024, 1, 5), (3500, 3501, 3500, 3501, 10)),  # no 15:00 bar
        (at(2024, 1, 5, 21, 0), date(2024, 1, 8), (3510, 3512, 3510, 3512, 1350)),  # the reset counts in full
    ]
    assert_vectorised_agrees(ticks, bars + builder.flush())


def test_case5_a_bar_is_emitted_when_the_session_breaks() -> None:
    ticks, _ = run([
        rb("10:14:58.500", 3500, 1000),   # the first tick seen: the volume baseline
        rb("10:14:59.500", 3502, 1010),
        rb("10:15:00.000", 3503, 1012),
        rb("10:30:00.500", 3504, 1020),
        rb("10:31:00.000", 3505, 1030),
    ])
    builder = MinuteBarBuilder()
    emitted: list[tuple[str, Bar]] = []
    for tick in ticks:
        if tick.ts >= at(2024, 1, 5, 10, 30):
            # the daemon's clock passes the break before trading resumes
            assert builder.on_time(at(2024, 1, 5, 10, 15, 0, 999000)) == []  # the closing tick may still come
            emitted += [("clock", b) for b in builder.on_time(at(2024, 1, 5, 10, 15, 1))]
            emitted += [("clock", b) for b in builder.on_time(at(2024, 1, 5, 10, 29, 59))]
        emitted += [("tick", b) for b in builder.on_tick(tick)]
    assert [(how, b.ts, ohlcv(b)) for how, b in emitted] == [
        ("clock", at(2024, 1, 5, 10, 14), (3500, 3503, 3500, 3503, 12)),
        ("tick", at(2024, 1, 5, 10, 30), (3504, 3504, 3504, 3504, 8)),
    ]
    assert_vectorised_agrees(ticks, [b for _, b in emitted] + builder.flush())


def test_case5_the_11_00_hour_bar_is_emitted_at_the_morning_close() -> None:
    hourly = PeriodBarBuilder("1h")

    def minute_bar(hh: int, mm: int, price: float) -> Bar:
        return Bar("rb2405", at(2024, 1, 5, hh, mm), date(2024, 1, 5), price, price + 1, price - 1, price, 2, None, None)

    out = [b for m in range(29) for b in hourly.on_bar(minute_bar(11, m, 3500 + m))]  # 11:00..11:28 traded
    assert out == []
    assert hourly.on_time(at(2024, 1, 5, 11, 29, 59)) == []
    (bar,) = hourly.on_time(at(2024, 1, 5, 11, 30, 1))
    assert (bar.ts, ohlcv(bar)) == (at(2024, 1, 5, 11, 0), (3500, 3529, 3499, 3528, 58))
    # with a trade in 11:29 the bar is complete as soon as that minute's bar arrives
    more = [b for m in range(30) for b in hourly.on_bar(minute_bar(11, m, 3500))]
    assert [b.ts for b in more] == [at(2024, 1, 5, 11, 0)]


def test_case5_streamed_hour_bars_equal_resampled_ones() -> None:
    minute = MinuteBarBuilder()
    hourly = PeriodBarBuilder("1h")
    ticks, _ = run([rb(f"{h:02d}:{m:02d}:10.000", 3500 + m, 1000 + 10 * (h * 60 + m))
                    for h, m in [(9, 59), (10, 0), (10, 14), (10, 30), (10, 59), (11, 0), (11, 29)]])
    minute_bars = [b for t in ticks for b in minute.on_tick(t)] + minute.flush()
    streamed = [b for m in minute_bars for b in hourly.on_bar(m)] + hourly.flush()
    resampled = resample(bars_frame(minute_bars), "1h")
    assert [(pd.Timestamp(b.ts), *ohlcv(b)) for b in streamed] == [
        (r.ts, r.open, r.high, r.low, r.close, r.volume) for r in resampled.itertuples()]
    assert [b.ts.strftime("%H:%M") for b in streamed] == ["09:00", "10:00", "11:00"]


def test_case6_late_ticks_are_dropped_and_no_minute_is_emitted_twice() -> None:
    ticks, cleaner = run([
        rb("10:01:58.000", 3500, 1000),
        rb("10:02:05.000", 3501, 1005),
        rb("10:02:10.000", 3502, 1009),
        rb("10:01:57.500", 3499, 1003),  # late
        rb("10:02:20.000", 3503, 1012),
        rb("10:03:00.500", 3504, 1015),
    ])
    assert cleaner.dropped == Counter({"out_of_order": 1})
    builder = MinuteBarBuilder()
    bars = [b for t in ticks for b in builder.on_tick(t)]
    assert [(b.ts, ohlcv(b)) for b in bars] == [
        (at(2024, 1, 5, 10, 1), (3500, 3500, 3500, 3500, 0)),
        (at(2024, 1, 5, 10, 2), (3501, 3503, 3501, 3503, 12)),
    ]
    everything = bars + builder.flush()
    assert len({b.ts for b in everything}) == len(everything) == 3
    assert_vectorised_agrees(ticks, everything)


def test_builder_drops_a_tick_for_a_bar_the_clock_already_finished(caplog) -> None:
    ticks, _ = run([rb("10:01:58.000", 3500, 1000), rb("10:01:59.900", 3501, 1002)])
    builder = MinuteBarBuilder()
    builder.on_tick(ticks[0])
    (bar,) = builder.on_time(at(2024, 1, 5, 10, 2))
    with caplog.at_level("INFO", logger="quantcloud.market.drops"):
        assert builder.on_tick(ticks[1]) == [] and builder.flush() == []
    assert builder.dropped == Counter({"late": 1}) and bar.close == 3500
    assert caplog.messages == ["minute bars dropped rb2405 2024-01-05T10:01:59.900+08:00: late "
                               "(further late drops of rb2405 are counted and logged at DEBUG)"]


def test_case7_sentinels_and_an_off_hours_snapshot() -> None:
    absent = {f"{side}{kind}{n}": (DBL_MAX if kind == "Price" else 0)
              for side in ("Ask",) for kind in ("Price", "Volume") for n in range(2, 6)}
    snapshot = ctp("sc2406", "INE", "20231130", "20231129", "17:04:31", 0, 590.7, 203, AskPrice1=591.6,
                   ClosePrice=DBL_MAX, SettlementPrice=DBL_MAX, **absent)
    cleaner = TickCleaner()
    quote = cleaner.parse(snapshot)
    assert quote.ts == at(2023, 11, 29, 17, 4, 31)
    assert quote.ask_prices == (591.6, None, None, None, None)
    assert (quote.close_price, quote.settlement_price) == (None, None)
    text = json.dumps(asdict(quote), default=str)
    assert "e+308" not in text and "1.79" not in text
    assert cleaner.clean(snapshot) is None
    assert cleaner.dropped == Counter({"outside_session": 1})
    builder = MinuteBarBuilder()
    # the night open of trading day 2023-11-30 counts its whole volume: the snapshot was no baseline
    night = cleaner.clean(ctp("sc2406", "INE", "20231130", "20231129", "21:00:00", 500, 591.0, 250))
    assert night is not None and (night.trading_day, night.volume) == (date(2023, 11, 30), 250)
    assert builder.on_tick(night) == [] and [ohlcv(b) for b in builder.flush()] == [(591.0, 591.0, 591.0, 591.0, 250)]


def test_empty_minutes_only_when_asked() -> None:
    # case 3's bars: 6 minutes. rb trades 21:00-23:00 and 225 day minutes; filling starts at the first bar
    # (Friday 09:00), so trading day 01-05 gets 225 minutes and 01-08 (with Friday's night) 120 + 225
    rows = [(at(2024, 1, 5, 9, 0), 3500, 3510, 3495, 3505, 100), (at(2024, 1, 5, 14, 59), 3505, 3520, 3500, 3518, 200),
            (at(2024, 1, 5, 21, 0), 3520, 3530, 3515, 3525, 150), (at(2024, 1, 5, 22, 59), 3525, 3528, 3490, 3495, 120),
            (at(2024, 1, 8, 9, 0), 3496, 3500, 3480, 3485, 180), (at(2024, 1, 8, 14, 59), 3485, 3540, 3484, 3535, 210)]
    frame = pd.DataFrame(rows, columns=["ts", "open", "high", "low", "close", "volume"])
    frame["ts"] = pd.to_datetime(frame["ts"]).dt.tz_convert(SH)
    frame["trading_day"] = [trading_day(ts, "rb") for ts in frame["ts"]]
    frame["open_interest"] = 100.0
    assert len(resample(frame, "1m", symbol="rb2405")) == 6
    filled = resample(frame, "1m", symbol="rb2405", fill_empty=True)
    assert len(filled) == 225 + 345
    assert filled["volume"].sum() == 960
    by_ts = filled.set_index("ts")
    # 09:01 had no trade: flat at the 09:00 close; the 10:15-10:30 break has no bars
    assert tuple(by_ts.loc[pd.Timestamp(at(2024, 1, 5, 9, 1)), ["open", "high", "low", "close", "volume"]]) == (
        3505, 3505, 3505, 3505, 0)
    assert pd.Timestamp(at(2024, 1, 5, 10, 20)) not in by_ts.index
    assert by_ts.loc[pd.Timestamp(at(2024, 1, 5, 21, 1)), "trading_day"] == date(2024, 1, 8)
    daily = resample(frame, "1d", symbol="rb2405", fill_empty=True)
    assert list(daily["volume"]) == [300, 660] and list(daily["close"]) == [3518, 3535]
