"""Trading calendar, session table and trading day: values from the exchanges' published hours and the data."""
from __future__ import annotations

import gzip
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from market_samples import COPPER, SH

from shared.domain.calendar import (
    is_trading_day, next_trading_day, night_session_allowed, previous_trading_day, trading_days,
)
from shared.domain.sessions import (
    OUTSIDE, MinuteLookup, bar_minute, bucket_last_minute, bucket_starts, is_trading_time, schedule, session_minute,
    session_start_of, trading_day, trading_periods,
)

NOV_2017 = date(2017, 11, 13)


def hhmm(minute: int) -> str:
    clock = (minute + 18 * 60) % 1440
    return f"{clock // 60:02d}:{clock % 60:02d}"


def joins(product: str, clock: str, day: date = NOV_2017, ms: int = 0) -> str | None:
    target = bar_minute(schedule(product, day), session_minute(clock), ms)
    return None if target == OUTSIDE else hhmm(target)


JOINS = [
    ("cu", "20:59", 500, "21:00"),    # night call auction -> the first bar
    ("cu", "20:55", 0, "21:00"),
    ("cu", "20:54", 0, None),         # before the auction
    ("IF", "09:29", 400, "09:30"),    # CFFEX index auction since 2016
    ("T", "09:14", 0, "09:15"),       # bond futures opened 09:15 until 2020-07-17
    ("cu", "08:59", 0, None),         # a day with a night session has no 08:59 auction
    ("cu", "01:00", 500, "00:59"),    # cu's closing snapshot
    ("cu", "01:00", 1000, None),
    ("rb", "23:00", 0, "22:59"),      # rb's night ends at 23:00
    ("i", "23:00", 0, "23:00"),       # i still trades at 23:00 in 2017 (night to 23:30)
    ("i", "23:30", 0, "23:29"),
    ("cu", "10:15", 0, "10:14"),      # the morning break starts
    ("cu", "10:20", 0, None),
    ("cu", "15:00", 500, "14:59"),
    ("cu", "15:22", 0, None),         # post-close settlement snapshot
    ("IF", "15:27", 0, None),
    ("T", "15:14", 0, "15:14"),       # bonds trade until 15:15
    ("cu", "13:30", 0, "13:30"),      # the afternoon open is no auction
    ("cu", "13:29", 0, None),
]


@pytest.mark.parametrize(("product", "clock", "ms", "expected"), JOINS)
def test_which_bar_a_tick_joins(product: str, clock: str, ms: int, expected: str | None) -> None:
    assert joins(product, clock, ms=ms) == expected


def _at(day: date, clock: str, ms: int = 0) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, ms // 1000, ms % 1000 * 1000, tzinfo=SH)


def test_the_streaming_lookup_joins_the_same_bars() -> None:
    lookup = MinuteLookup()  # one lookup for every contract, as the cleaner and the bar builder keep one
    for product, clock, ms, expected in JOINS:
        target = lookup.bar(f"{product}1801", NOV_2017, _at(NOV_2017, clock, ms))
        assert (None if target == OUTSIDE else hhmm(target)) == expected, (product, clock, ms)


def test_the_streaming_lookup_follows_the_trading_day() -> None:
    # the same contract on a day with a night session, then on one without (after New Year), then back
    lookup = MinuteLookup()
    night, no_night = date(2021, 1, 5), date(2021, 1, 4)
    assert hhmm(lookup.bar("cu2102", night, _at(night, "20:59"))) == "21:00"
    assert lookup.bar("cu2102", no_night, _at(no_night, "21:30")) == OUTSIDE
    assert hhmm(lookup.bar("cu2102", no_night, _at(no_night, "08:59"))) == "09:00"
    assert lookup.bar("cu2102", night, _at(night, "08:59")) == OUTSIDE
    assert lookup.schedule("cu2102", no_night) == schedule("cu", no_night)


def test_day_without_night_session_opens_with_the_day_auction() -> None:
    # 2021-01-04 follows New Year: no night session, so 08:59 is the auction of the 09:00 bar
    assert joins("cu", "08:59", date(2021, 1, 4)) == "09:00"
    assert joins("cu", "21:30", date(2021, 1, 4)) is None


@pytest.mark.parametrize(("product", "day", "minutes"), [
    ("cu", date(2021, 1, 5), 465),    # data README: 465 bars on a full copper day
    ("cu", date(2021, 1, 4), 225),    # first day after a holiday: day session only
    ("au", date(2019, 4, 10), 555),
    ("sc", date(2024, 1, 8), 555),
    ("rb", date(2019, 8, 2), 345),
    ("m", date(2019, 7, 9), 345),
    ("i", NOV_2017, 375),             # DCE night to 23:30 in 2017
    ("i", date(2019, 3, 29), 375),
    ("i", date(2019, 4, 1), 345),     # night of Fri 2019-03-29 ends at 23:00
    ("MA", date(2019, 12, 12), 375),
    ("MA", date(2019, 12, 13), 345),
    ("IF", date(2015, 12, 31), 270),  # 09:15-11:30, 13:00-15:15
    ("IF", date(2016, 1, 4), 240),
    ("T", date(2020, 7, 17), 270),
    ("T", date(2020, 7, 20), 255),    # 09:30-11:30, 13:00-15:15
    ("si", date(2024, 1, 8), 225),    # GFEX: no night session
    ("jd", date(2024, 1, 8), 225),
    ("AP", date(2024, 1, 8), 225),
    ("rb", date(2020, 3, 2), 225),    # night trading suspended (COVID) 2020-02-03 .. 2020-05-06
    ("rb", date(2020, 5, 7), 345),
    ("rb", date(2010, 3, 2), 225),    # SHFE steel's night began with the night of 2014-12-26 ...
    ("rb", date(2016, 4, 28), 465),   # ... to 01:00,
    ("rb", date(2016, 5, 4), 345),    # to 23:00 from the night of 2016-05-03
    ("ru", date(2014, 12, 29), 345),
    ("cu", date(2013, 12, 20), 225),  # base metals from the night of 2013-12-20
    ("cu", date(2013, 12, 23), 465),
    ("au", date(2013, 7, 5), 225),    # gold and silver from the night of 2013-07-05
    ("au", date(2013, 7, 8), 555),
    ("ad", date(2025, 12, 2), 465),   # products listed in 2025: cast aluminium alloy to 01:00,
    ("op", date(2025, 12, 2), 345),   # offset paper, pure benzene and propylene to 23:00
    ("bz", date(2025, 12, 2), 345),
    ("PL", date(2025, 12, 2), 345),
    ("IO", date(2024, 6, 3), 240),    # CFFEX index options: the index futures' hours, no break
])
def test_minutes_per_trading_day(product: str, day: date, minutes: int) -> None:
    assert sum(end - start for start, end in trading_periods(product, day)) == minutes


@pytest.mark.parametrize(("ts", "expected"), [
    (datetime(2024, 1, 5, 10, 0, tzinfo=SH), date(2024, 1, 5)),
    (datetime(2024, 1, 5, 15, 0, 0, 500000, tzinfo=SH), date(2024, 1, 5)),
    (datetime(2024, 1, 4, 21, 5, tzinfo=SH), date(2024, 1, 5)),    # Thursday night
    (datetime(2024, 1, 5, 21, 5, tzinfo=SH), date(2024, 1, 8)),    # Friday night -> Monday
    (datetime(2024, 1, 6, 0, 30, tzinfo=SH), date(2024, 1, 8)),    # past midnight, Saturday
    (datetime(2024, 1, 6, 2, 29, tzinfo=SH), date(2024, 1, 8)),
    (datetime(2024, 1, 5, 5, 5, tzinfo=SH), date(2024, 1, 5)),     # Friday 05:05 is still Thursday's night
    # eve of the Spring Festival 2024 (exchanges closed Feb 9-16): the next trading day is Feb 19
    (datetime(2024, 2, 8, 21, 30, tzinfo=SH), date(2024, 2, 19)),
    (datetime(2024, 2, 10, 10, 0, tzinfo=SH), date(2024, 2, 19)),  # a holiday
    (datetime(2023, 11, 29, 17, 4, 31, tzinfo=SH), date(2023, 11, 29)),
    (datetime(2024, 1, 5, 13, 5, tzinfo=UTC), date(2024, 1, 8)),  # 21:05 Shanghai time given in UTC
])
def test_trading_day(ts: datetime, expected: date) -> None:
    assert trading_day(ts, "rb") == expected


def test_no_night_session_on_the_eve_of_a_holiday() -> None:
    assert not night_session_allowed(date(2024, 2, 19))   # Thu 2024-02-08 evening: holiday next
    assert night_session_allowed(date(2024, 1, 8))        # Friday night -> Monday
    assert schedule("cu", date(2024, 2, 19)).open == session_minute("09:00")
    assert not is_trading_time(datetime(2024, 2, 8, 21, 30, tzinfo=SH), "cu")
    assert is_trading_time(datetime(2024, 2, 7, 21, 30, tzinfo=SH), "cu")


def test_calendar_steps_over_weekends_and_holidays() -> None:
    assert next_trading_day(date(2024, 1, 5)) == date(2024, 1, 8)
    assert next_trading_day(date(2024, 2, 8)) == date(2024, 2, 19)
    assert previous_trading_day(date(2024, 2, 19)) == date(2024, 2, 8)
    assert previous_trading_day(date(2021, 1, 4)) == date(2020, 12, 31)
    assert not is_trading_day(date(2024, 10, 1)) and is_trading_day(date(2024, 10, 8))


def test_beyond_the_calendar_fixed_date_holidays_stay_closed() -> None:
    # exchange_calendars ends 2026-12-31 (2027's holidays unpublished when it was released);
    # New Year's Day is a holiday every year, so Thursday 2026-12-31 has no night session
    assert not is_trading_day(date(2027, 1, 1))
    assert next_trading_day(date(2026, 12, 31)) == date(2027, 1, 4)
    assert not night_session_allowed(date(2027, 1, 4))
    assert not is_trading_time(datetime(2026, 12, 31, 21, 30, tzinfo=SH), "cu")
    assert not is_trading_day(date(2027, 10, 1))  # a Friday: National Day
    assert next_trading_day(date(2027, 9, 30)) > date(2027, 10, 3)


def test_calendar_matches_the_copper_sample() -> None:
    with gzip.open(COPPER, "rt") as f:
        frame = pd.read_csv(f, dtype={"trading_day": str}, usecols=["datetime", "trading_day"])
    days = sorted({date(int(d[:4]), int(d[4:6]), int(d[6:])) for d in frame["trading_day"]})
    assert trading_days(date(2021, 1, 4), date(2022, 2, 17)) == days  # 271 days
    night = frame[frame["datetime"].str[11:13].astype(int).isin([21, 22, 23, 0])]
    with_night = {date(int(d[:4]), int(d[4:6]), int(d[6:])) for d in night["trading_day"]}
    without = [d for d in days if d not in with_night]
    # data README: the 9 days without a night session, each the first day after a holiday
    assert without == [date(2021, 1, 4), date(2021, 2, 18), date(2021, 4, 6), date(2021, 5, 6),
                       date(2021, 6, 15), date(2021, 9, 22), date(2021, 10, 8), date(2022, 1, 4),
                       date(2022, 2, 7)]
    assert [d for d in days if night_session_allowed(d)] == sorted(with_night)


def test_session_aligned_hour_buckets() -> None:
    cu = schedule("cu", date(2021, 1, 5))
    starts = bucket_starts(cu, 60)
    minutes = [m for start, end in cu.periods for m in range(start, end)]
    assert sorted({hhmm(int(starts[m])) for m in minutes}, key=session_minute) == [
        "21:00", "22:00", "23:00", "00:00", "09:00", "10:00", "11:00", "13:30", "14:30"]
    assert hhmm(int(starts[session_minute("10:45")])) == "10:00"
    assert hhmm(bucket_last_minute(cu, 60, session_minute("11:00"))) == "11:29"
    assert hhmm(bucket_last_minute(cu, 60, session_minute("10:00"))) == "10:59"
    ifx = schedule("IF", date(2021, 1, 5))
    assert sorted({hhmm(int(bucket_starts(ifx, 60)[m])) for s, e in ifx.periods for m in range(s, e)}) == [
        "09:30", "10:30", "13:00", "14:00"]


def test_session_start_of() -> None:
    assert session_start_of(datetime(2021, 1, 5, 10, 40, tzinfo=SH), "cu") == datetime(2021, 1, 5, 9, 0, tzinfo=SH)
    assert session_start_of(datetime(2021, 1, 5, 0, 40, tzinfo=SH), "cu") == datetime(2021, 1, 4, 21, 0, tzinfo=SH)
    assert session_start_of(datetime(2021, 1, 5, 12, 0, tzinfo=SH), "cu") is None


def test_session_minutes_run_through_midnight() -> None:
    assert [session_minute(t) for t in ("18:00", "21:00", "00:00", "01:00", "09:00", "15:00")] == [
        0, 180, 360, 420, 900, 1260]
