"""Resampling on the real copper bars; streaming and vectorised 1m bars on the real ticks."""
from __future__ import annotations

import functools
import math
from datetime import date, datetime

import pandas as pd
import pytest
from market_samples import SH, copper, real_ticks

from shared.domain.bars import PERIODS, Bar, MinuteBarBuilder, PeriodBarBuilder, bars_frame, resample
from shared.domain.tick_bars import minute_bars_from_ticks, ticks_frame
from shared.errors import InvalidInput


def row_at(frame: pd.DataFrame, ts: datetime) -> dict[str, object]:
    match = frame[frame["ts"] == pd.Timestamp(ts)]
    assert len(match) == 1, ts
    return match.iloc[0].to_dict()


def ohlcv(row: dict[str, object]) -> tuple[object, ...]:
    return row["open"], row["high"], row["low"], row["close"], row["volume"]


def test_periods() -> None:
    assert PERIODS == ("1m", "5m", "15m", "30m", "1h", "1d", "1w")


def test_5m_first_bar_of_the_sample() -> None:
    # data rows 09:00..09:04 of 2021-01-04: opens 57750, highs 57840 57840 57870 57960 57960,
    # lows 57680 57700 57770 57830 57900, last close 57920, volumes 3297+1728+1713+1552+1038
    bars = resample(copper(), "5m")
    assert ohlcv(row_at(bars, datetime(2021, 1, 4, 9, 0, tzinfo=SH))) == (57750.0, 57960.0, 57680.0, 57920.0, 9328)


def test_5m_night_bar_belongs_to_the_next_trading_day() -> None:
    # rows 21:00..21:04 of 2021-01-04 (trading day 20210105): opens 58220 ..., highs 58280 58360 58440 58450 58450,
    # lows 58200 58270 58340 58390 58430, last close 58440, volumes 1898+1096+1561+815+454
    row = row_at(resample(copper(), "5m"), datetime(2021, 1, 4, 21, 0, tzinfo=SH))
    assert ohlcv(row) == (58220.0, 58450.0, 58200.0, 58440.0, 5824)
    assert row["trading_day"] == date(2021, 1, 5)


def test_1h_bars_are_aligned_to_the_session_start() -> None:
    # the afternoon session opens at 13:30, so the hour bar is 13:30..14:29 (60 rows):
    # open 58040, high 58210, low 57990, close 58020, volume 12156; nothing is stamped 13:00
    hourly = resample(copper(), "1h")
    assert ohlcv(row_at(hourly, datetime(2021, 1, 5, 13, 30, tzinfo=SH))) == (58040.0, 58210.0, 57990.0, 58020.0, 12156)
    assert not (hourly["ts"].dt.strftime("%H:%M") == "13:00").any()
    # the 11:00 bar ends with the morning session: rows 11:00..11:29 (30), volume 3912
    assert ohlcv(row_at(hourly, datetime(2021, 1, 5, 11, 0, tzinfo=SH))) == (57980.0, 58060.0, 57970.0, 58020.0, 3912)
    # the 10:00 bar holds 10:00..10:14 and 10:30..10:59, 45 rows (the break is inside the morning session)
    assert ohlcv(row_at(hourly, datetime(2021, 1, 5, 10, 0, tzinfo=SH))) == (58010.0, 58160.0, 57940.0, 57970.0, 9485)
    assert set(hourly["ts"].dt.strftime("%H:%M")) == {
        "21:00", "22:00", "23:00", "00:00", "09:00", "10:00", "11:00", "13:30", "14:30"}


def test_weekly_bar_holds_monday_to_friday_trading_days() -> None:
    # trading days 2021-01-04..08: 225 + 4 * 465 = 2085 rows; Friday night 01-08 belongs to the next week
    weekly = resample(copper(), "1w")
    first = weekly.iloc[0]
    assert first["ts"] == pd.Timestamp(datetime(2021, 1, 4, 9, 0, tzinfo=SH))
    assert ohlcv(first.to_dict()) == (57750.0, 60680.0, 57680.0, 60310.0, 567507)
    assert weekly.iloc[1]["ts"] == pd.Timestamp(datetime(2021, 1, 8, 21, 0, tzinfo=SH))


def test_daily_bar_of_a_real_trading_day_starts_with_the_night_before() -> None:
    # trading day 2021-01-05: 465 bars from the 21:00 bar of 2021-01-04 (open 58220) to 14:59 (close 58110);
    # high 58550, low 57710, volume summed over all 465 bars = 103527
    daily = resample(copper(), "1d")
    row = daily[daily["trading_day"] == date(2021, 1, 5)].iloc[0].to_dict()
    assert row["ts"] == pd.Timestamp(datetime(2021, 1, 4, 21, 0, tzinfo=SH))
    assert ohlcv(row) == (58220.0, 58550.0, 57710.0, 58110.0, 103527)
    assert math.isnan(row["open_interest"])  # the source has no open interest
    assert len(daily) == 271  # trading days in the sample


def test_daily_bar_without_night_session() -> None:
    # 2021-01-04 is the first day after New Year: no night session, so it opens at 09:00 with 57750
    daily = resample(copper(), "1d")
    first = daily.iloc[0]
    assert (first["ts"], first["trading_day"], first["open"]) == (
        pd.Timestamp(datetime(2021, 1, 4, 9, tzinfo=SH)), date(2021, 1, 4), 57750.0)


@pytest.mark.parametrize("period", PERIODS)
def test_resample_keeps_volume_and_order(period: str) -> None:
    frame = copper()
    bars = resample(frame.sample(frac=1, random_state=7), period)  # input order does not matter
    assert list(bars.columns) == ["ts", "trading_day", "open", "high", "low", "close", "volume", "open_interest"]
    assert bars["ts"].is_monotonic_increasing
    assert bars["volume"].sum() == frame["volume"].sum()
    assert bars["high"].max() == frame["high"].max()


def test_unknown_period() -> None:
    with pytest.raises(InvalidInput, match="2m"):
        resample(copper(), "2m")


@functools.cache
def _streamed_and_vectorised() -> tuple[pd.DataFrame, pd.DataFrame]:
    ticks, _ = real_ticks()
    builder = MinuteBarBuilder()
    bars = [bar for tick in ticks for bar in builder.on_tick(tick)] + builder.flush()
    return bars_frame(bars), minute_bars_from_ticks(ticks_frame(ticks))


def test_streaming_and_vectorised_minute_bars_agree_bar_for_bar() -> None:
    streamed, vectorised = _streamed_and_vectorised()
    columns = ["symbol", "ts", "trading_day", "open", "high", "low", "close", "volume", "turnover", "open_interest"]
    key = ["symbol", "ts"]
    a = streamed[columns].sort_values(key).reset_index(drop=True)
    b = vectorised[columns].sort_values(key).reset_index(drop=True)
    a["turnover"] = a["turnover"].astype("float64")
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


@pytest.mark.parametrize("unit", ["ms", "us", "ns"])
def test_vectorised_bars_from_interleaved_symbols_and_any_time_unit(unit: str) -> None:
    # the sample is stored contract by contract; live, the five contracts arrive interleaved in time
    streamed, _ = _streamed_and_vectorised()
    ticks, _ = real_ticks()
    frame = ticks_frame(sorted(ticks, key=lambda t: (t.ts, t.symbol, t.seq)))
    frame["ts"] = frame["ts"].dt.as_unit(unit)
    columns = ["symbol", "ts", "trading_day", "open", "high", "low", "close", "volume", "open_interest"]
    a = streamed[columns].sort_values(["symbol", "ts"]).reset_index(drop=True)
    b = minute_bars_from_ticks(frame)[columns].sort_values(["symbol", "ts"]).reset_index(drop=True)
    b["ts"] = b["ts"].dt.as_unit(a["ts"].dt.unit)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert len(b) == 465 + 345 + 375 + 375 + 240


def test_minute_bars_follow_the_2017_session_schedule() -> None:
    streamed, _ = _streamed_and_vectorised()
    # bars per trading day: cu night 21:00-01:00 (240) + day 225; rb night to 23:00 (120); i, MA to 23:30 (150);
    # IF 09:30-11:30 and 13:00-15:00
    assert streamed.groupby("symbol").size().to_dict() == {
        "cu1801": 465, "rb1805": 345, "i1801": 375, "MA801": 375, "IF1711": 240}
    day = clock_minutes(("09:00", "10:15"), ("10:30", "11:30"), ("13:30", "15:00"))
    expected = {
        "cu1801": clock_minutes(("21:00", "01:00")) | day,
        "rb1805": clock_minutes(("21:00", "23:00")) | day,
        "i1801": clock_minutes(("21:00", "23:30")) | day,
        "MA801": clock_minutes(("21:00", "23:30")) | day,
        "IF1711": clock_minutes(("09:30", "11:30"), ("13:00", "15:00")),
    }
    for symbol, minutes in expected.items():
        assert set(streamed.loc[streamed["symbol"] == symbol, "ts"].dt.strftime("%H:%M")) == minutes, symbol


def clock_minutes(*periods: tuple[str, str]) -> set[str]:
    """Every HH:MM bar start in [start, end) of each period (crossing midnight allowed)."""
    out = set()
    for start, end in periods:
        minute = int(start[:2]) * 60 + int(start[3:])
        stop = int(end[:2]) * 60 + int(end[3:])
        while minute != stop:
            out.add(f"{minute // 60:02d}:{minute % 60:02d}")
            minute = (minute + 1) % 1440
    return out


def test_auction_and_closing_ticks_join_the_session_bars() -> None:
    streamed, _ = _streamed_and_vectorised()
    ticks, _ = real_ticks()
    cu = streamed[streamed["symbol"] == "cu1801"].set_index("ts")
    # the 20:59:00.5 auction tick (53600, 144 lots) opens the 21:00 bar, whose ticks bring the day to 2702 lots
    first = cu.loc[pd.Timestamp(datetime(2017, 11, 10, 21, 0, tzinfo=SH))]
    assert (first["open"], first["volume"]) == (53600.0, 2702)
    # the last night bar 00:59 takes the 01:00:00.5 closing snapshots; the day ends with the 14:59 bar
    assert pd.Timestamp(datetime(2017, 11, 11, 0, 59, tzinfo=SH)) in cu.index
    last = cu.iloc[-1]
    assert cu.index[-1] == pd.Timestamp(datetime(2017, 11, 13, 14, 59, tzinfo=SH))
    assert last["close"] == 53650.0  # the price of the 15:00:00 and 15:22:06 snapshots
    for symbol in ("cu1801", "rb1805", "i1801", "MA801", "IF1711"):
        day_total = [t for t in ticks if t.symbol == symbol][-1].cum_volume
        assert streamed.loc[streamed["symbol"] == symbol, "volume"].sum() == day_total, symbol
    first_if = streamed[streamed["symbol"] == "IF1711"].iloc[0]
    assert (first_if["ts"], first_if["open"]) == (pd.Timestamp(datetime(2017, 11, 13, 9, 30, tzinfo=SH)), 4123.2)


def test_builder_emits_a_bar_when_the_next_minute_starts() -> None:
    ticks, _ = real_ticks()
    builder = MinuteBarBuilder()
    emitted = []
    for tick in ticks:
        emitted = builder.on_tick(tick)
        if emitted:
            break
    assert len(emitted) == 1
    assert emitted[0].symbol == "rb1805"
    assert emitted[0].ts == datetime(2017, 11, 10, 21, 0, tzinfo=SH)
    assert emitted[0].to_json()["ts"] == "2017-11-10T21:00:00+08:00"
    assert emitted[0].to_json()["trading_day"] == "2017-11-13"


def test_open_interest_is_the_last_known_value_of_each_bar() -> None:
    ticks, _ = real_ticks()
    cu = [t for t in ticks if t.symbol == "cu1801"]
    streamed, _ = _streamed_and_vectorised()
    minute = streamed[streamed["symbol"] == "cu1801"].reset_index(drop=True)
    # the 14:59 bar closes with the 15:00:00.5 snapshots: their open interest is the day's last
    assert minute.iloc[-1]["open_interest"] == cu[-1].open_interest
    last_of_0930 = [t for t in cu if t.ts < datetime(2017, 11, 13, 9, 31, tzinfo=SH)][-1]
    assert row_at(minute, datetime(2017, 11, 13, 9, 30, tzinfo=SH))["open_interest"] == last_of_0930.open_interest
    five = resample(minute, "5m")
    last_of_the_0930_5m_bar = [t for t in cu if t.ts < datetime(2017, 11, 13, 9, 35, tzinfo=SH)][-1]
    assert row_at(five, datetime(2017, 11, 13, 9, 30, tzinfo=SH))["open_interest"] == last_of_the_0930_5m_bar.open_interest
    (daily,) = resample(minute, "1d").itertuples()
    assert daily.open_interest == cu[-1].open_interest
    # a bar whose last minutes carry no open interest keeps the last value it saw (never NaN, never 0)
    frame = minute.iloc[:5].copy()
    frame.loc[3:, "open_interest"] = float("nan")
    (first,) = resample(frame, "5m").itertuples()
    assert first.open_interest == minute.iloc[2]["open_interest"]
    hourly = PeriodBarBuilder("1h")
    bars = [b for row in bars_frame_rows(frame) for b in hourly.on_bar(row)] + hourly.flush()
    assert [b.open_interest for b in bars] == [minute.iloc[2]["open_interest"]]


def bars_frame_rows(frame: pd.DataFrame) -> list[Bar]:
    return [Bar("cu1801", r.ts.to_pydatetime(), r.trading_day, r.open, r.high, r.low, r.close, int(r.volume), None,
                None if math.isnan(r.open_interest) else r.open_interest) for r in frame.itertuples()]


@pytest.mark.parametrize("period", ["5m", "15m", "30m", "1h"])
def test_streamed_period_bars_equal_resampled_ones_on_a_real_month(period: str) -> None:
    # January 2021 of the copper sample: 19 trading days, the first without a night session
    frame = copper()
    month = frame[frame["trading_day"] <= date(2021, 1, 29)].reset_index(drop=True)
    builder = PeriodBarBuilder(period)
    streamed = [b for bar in bars_frame_rows(month) for b in builder.on_bar(bar)] + builder.flush()
    resampled = resample(month, period)
    assert len(streamed) == len(resampled) > 0
    got = [(pd.Timestamp(b.ts), b.trading_day, b.open, b.high, b.low, b.close, b.volume) for b in streamed]
    assert got == [(r.ts, r.trading_day, r.open, r.high, r.low, r.close, r.volume) for r in resampled.itertuples()]
