"""Trading days of the Chinese futures exchanges, and which evenings hold a night session.

Trading days come from ``exchange_calendars``' XSHG (Shanghai Stock Exchange)
calendar, which is maintained as the State Council publishes each year's
holidays. The futures exchanges (SHFE, INE, DCE, CZCE, CFFEX, GFEX) close on
the same days: checked against every trading day of the real data we use
(cu 1-minute bars 2021-2022, rb daily bars 2009-2016, IF daily bars 2010-2021:
identical sets). After the calendar's last known day (the State Council
publishes a year's holidays in November; a new ``exchange_calendars`` release
follows) every weekday counts as a trading day except the statutory holidays on
fixed dates (``FIXED_HOLIDAYS``); the lunar holidays and bridge days of a year
not yet published are missing until the package is upgraded.

A night session belongs to the NEXT trading day. It is held on the evening of
trading day D only when the next trading day is the next weekday (a Friday
night belongs to Monday); the evening before a holiday has none, so the first
trading day after a holiday starts at its day session. Market-wide suspensions
of night trading are listed in ``NIGHT_SUSPENSIONS``.
"""
from __future__ import annotations

import bisect
import functools
from datetime import date, timedelta

# trading days whose night session was not held although the calendar allows it
NIGHT_SUSPENSIONS: tuple[tuple[date, date], ...] = (
    # COVID-19: every exchange stopped night trading after the Spring Festival 2020;
    # it resumed with the night of 2020-05-06 (trading day 2020-05-07)
    (date(2020, 2, 3), date(2020, 5, 6)),
)
# statutory holidays on fixed dates (Labour Day has two days since 2025), closed every year
FIXED_HOLIDAYS: frozenset[tuple[int, int]] = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})
_FIRST_YEAR = "2005-01-04"  # the bundled data starts in 2009; older vendor data has weekend rows


@functools.cache
def _sessions() -> tuple[list[int], int]:
    """Sorted ordinals of the known trading days and the ordinal of the calendar's last day."""
    import exchange_calendars  # loaded on first use: it costs ~0.3 s of import time

    calendar = exchange_calendars.get_calendar("XSHG", start=_FIRST_YEAR)
    ordinals = [ts.date().toordinal() for ts in calendar.sessions]
    return ordinals, ordinals[-1]


def load() -> None:
    """Read the calendar now (0.15-0.3 s, once per process) rather than on the first day asked about:
    the daemon calls this before its first tick, which would otherwise wait for it."""
    _sessions()


def _weekday_after(day: date) -> date:
    return day + timedelta(days=3 if day.weekday() == 4 else 2 if day.weekday() == 5 else 1)


def _weekday_before(day: date) -> date:
    return day - timedelta(days=3 if day.weekday() == 0 else 2 if day.weekday() == 6 else 1)


def is_trading_day(day: date) -> bool:
    """True when the exchanges trade on ``day`` (its day session)."""
    ordinals, last = _sessions()
    ordinal = day.toordinal()
    if ordinal < ordinals[0]:
        return day.weekday() < 5
    if ordinal > last:
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS
    i = bisect.bisect_left(ordinals, ordinal)
    return i < len(ordinals) and ordinals[i] == ordinal


def next_trading_day(day: date) -> date:
    """The first trading day strictly after ``day``."""
    ordinals, last = _sessions()
    ordinal = day.toordinal()
    if ordinals[0] <= ordinal < last:
        return date.fromordinal(ordinals[bisect.bisect_right(ordinals, ordinal)])
    candidate = _weekday_after(day)
    while not is_trading_day(candidate):
        candidate = _weekday_after(candidate)
    return candidate


def previous_trading_day(day: date) -> date:
    """The last trading day strictly before ``day``."""
    ordinals, last = _sessions()
    ordinal = day.toordinal()
    if ordinals[0] < ordinal <= last + 1:
        return date.fromordinal(ordinals[bisect.bisect_left(ordinals, ordinal) - 1])
    candidate = _weekday_before(day)
    while not is_trading_day(candidate):
        candidate = _weekday_before(candidate)
    return candidate


def trading_days(first: date, last: date) -> list[date]:
    """Every trading day in ``first..last`` (inclusive), oldest first."""
    days = []
    day = first if is_trading_day(first) else next_trading_day(first)
    while day <= last:
        days.append(day)
        day = next_trading_day(day)
    return days


def night_session_allowed(trading_day: date) -> bool:
    """Whether ``trading_day`` opens with a night session on the evening before (for products that have one).

    False after a holiday (the evening before it is a holiday eve) and during ``NIGHT_SUSPENSIONS``.
    """
    if not is_trading_day(trading_day):
        return False
    if any(first <= trading_day <= last for first, last in NIGHT_SUSPENSIONS):
        return False
    return _weekday_after(previous_trading_day(trading_day)) == trading_day
