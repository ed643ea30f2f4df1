"""The session table: which bar an auction, break or closing tick belongs to."""
from __future__ import annotations

from datetime import date

import pytest

from shared.domain.sessions import bar_offsets, session_minute, trading_periods

NOV_2017 = date(2017, 11, 13)


def offset(product: str, hhmm: str, day: date = NOV_2017) -> int:
    return int(bar_offsets(product, day)[session_minute(hhmm)])


@pytest.mark.parametrize(("product", "hhmm", "minutes"), [
    ("cu", "20:59", 1),     # night call auction -> 21:00
    ("IF", "09:29", 1),     # CFFEX auction -> 09:30
    ("cu", "01:00", -1),    # closing snapshot of cu's night -> 00:59
    ("rb", "23:00", -1),    # rb's night ends at 23:00 -> 22:59
    ("i", "23:00", 0),      # i still trades at 23:00 in 2017
    ("i", "23:30", -1),
    ("cu", "10:15", -1),    # the morning break starts -> 10:14
    ("cu", "11:30", -1),
    ("IF", "11:30", -1),
    ("cu", "15:22", -23),   # post-close snapshot -> 14:59
    ("IF", "15:27", -28),
    ("cu", "13:30", 0),     # afternoon opening is no auction
])
def test_bar_offsets(product: str, hhmm: str, minutes: int) -> None:
    assert offset(product, hhmm) == minutes


def test_dce_night_end_moved_to_2300_in_2019() -> None:
    assert offset("i", "23:00", date(2019, 4, 1)) == -1
    assert trading_periods("i", date(2019, 3, 29))[0] == (session_minute("21:00"), session_minute("23:30"))
    assert trading_periods("i", date(2019, 4, 1))[0] == (session_minute("21:00"), session_minute("23:00"))


def test_session_minutes_run_through_midnight() -> None:
    assert [session_minute(t) for t in ("18:00", "21:00", "00:00", "01:00", "09:00", "15:00")] == [
        0, 180, 360, 420, 900, 1260]
