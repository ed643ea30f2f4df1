"""Trading hours of the products we ship, and which 1-minute bar a tick belongs to.

Only what the bundled data needs: day periods per exchange and the night-session
end per product, with the two night-end changes that fall inside our history.
A full exchange calendar (holidays, temporary suspensions) is a later issue.

Minutes are counted from 18:00 ("session minutes"), so that one trading day's
night session, its after-midnight part and its day session are increasing:
18:00 -> 0, 21:00 -> 180, 00:00 -> 360, 09:00 -> 900, 15:00 -> 1260.
"""
from __future__ import annotations

import functools
from datetime import date

import numpy as np

from shared.domain.instruments import Exchange

MINUTES_PER_DAY = 1440
_EVENING_START = 18 * 60
AUCTION_WINDOW_MIN = 15  # ticks this close before an opening are its call auction

_COMMODITY_DAY = (("09:00", "10:15"), ("10:30", "11:30"), ("13:30", "15:00"))
_INDEX_DAY = (("09:30", "11:30"), ("13:00", "15:00"))
_NIGHT_OPEN = "21:00"

# product -> [(first trading day it applies to, night end or None)], newest last
_NIGHT_ENDS: dict[str, list[tuple[date, str | None]]] = {}
for _products, _history in (
    ("cu al zn pb ni sn", [(date.min, "01:00")]),
    ("au ag sc", [(date.min, "02:30")]),
    ("rb hc bu ru fu sp", [(date.min, "23:00")]),
    # DCE closed its night at 23:30 until the night of Fri 2019-03-29 (trading day 2019-04-01)
    ("i m j jm y p a b", [(date.min, "23:30"), (date(2019, 4, 1), "23:00")]),
    # CZCE moved from 23:30 to 23:00 with the night of 2019-12-12
    ("MA SR TA CF RM OI FG ZC", [(date.min, "23:30"), (date(2019, 12, 13), "23:00")]),
    ("IF IC IH T TF TS", [(date.min, None)]),
):
    for _p in _products.split():
        _NIGHT_ENDS[_p] = _history

# unknown products: the longest night, so no tick is ever pushed into a wrong session
_DEFAULT_NIGHT_END = "02:30"


def session_minute(hhmm: str) -> int:
    """``"21:00"`` -> 180: minutes since 18:00, wrapping at midnight."""
    hours, minutes = hhmm.split(":")
    return (int(hours) * 60 + int(minutes) - _EVENING_START) % MINUTES_PER_DAY


def session_minute_of(hour: int, minute: int) -> int:
    """Clock hour and minute -> session minute."""
    return (hour * 60 + minute - _EVENING_START) % MINUTES_PER_DAY


def session_minutes(minute_of_day: np.ndarray) -> np.ndarray:
    """Vectorised: clock minute of day (0..1439) -> session minute."""
    return (minute_of_day - _EVENING_START) % MINUTES_PER_DAY


def _night_end(product: str, exchange: Exchange | None, trading_day: date) -> str | None:
    history = _NIGHT_ENDS.get(product)
    if history is None:
        return None if exchange in (Exchange.CFFEX, Exchange.GFEX) else _DEFAULT_NIGHT_END
    end = history[0][1]
    for since, candidate in history:
        if trading_day >= since:
            end = candidate
    return end


def trading_periods(product: str, trading_day: date, exchange: Exchange | None = None) -> tuple[tuple[int, int], ...]:
    """The [start, end) periods of a trading day in session minutes, in order."""
    is_index = exchange == Exchange.CFFEX or (product in _NIGHT_ENDS and _NIGHT_ENDS[product][0][1] is None)
    day = _INDEX_DAY if is_index else _COMMODITY_DAY
    night_end = _night_end(product, exchange, trading_day)
    periods = [(_NIGHT_OPEN, night_end)] if night_end else []
    periods.extend(day)
    return tuple((session_minute(start), session_minute(end)) for start, end in periods)


@functools.cache
def _offsets(periods: tuple[tuple[int, int], ...]) -> np.ndarray:
    day_open = min(s for s, _ in periods if s >= session_minute("08:00"))
    openings = {periods[0][0], day_open}  # the night open (if any) and the day open hold auctions
    offsets = np.zeros(MINUTES_PER_DAY, dtype=np.int64)
    for minute in range(MINUTES_PER_DAY):
        if any(s <= minute < e for s, e in periods):
            continue
        next_start = min((s for s, _ in periods if s > minute), default=None)
        prev_end = max((e for _, e in periods if e <= minute), default=None)
        if next_start is not None and next_start in openings and next_start - minute <= AUCTION_WINDOW_MIN:
            target = next_start  # call auction: its trade opens the first bar
        elif prev_end is not None:
            target = prev_end - 1  # closing snapshot, break or post-close tick: the period's last bar
        elif next_start is not None:
            target = next_start
        else:
            target = minute
        offsets[minute] = target - minute
    offsets.setflags(write=False)
    return offsets


def bar_offsets(product: str, trading_day: date, exchange: Exchange | None = None) -> np.ndarray:
    """For each session minute, the minutes to add to a tick's clock minute to get its bar's start.

    Zero inside trading periods; auction ticks move forward to the opening minute;
    ticks at or after a period's end (closing snapshots, post-close settlement
    snapshots) move back to that period's last minute.
    """
    return _offsets(trading_periods(product, trading_day, exchange))
