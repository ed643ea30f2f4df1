"""Trading hours per product and trading day, the trading day of an instant, and which bar a tick joins.

A trading day is made of sessions: the night session of the evening before
(21:00 to 23:00, 01:00 or 02:30 by product; none for some products, none after
a holiday, see ``calendar``), the morning session (09:00-11:30 with the
10:15-10:30 break inside it) and the afternoon session (13:30-15:00); CFFEX
has its own hours. Each session is one or more trading periods [start, end).

Minutes are counted from 18:00 ("session minutes"), so one trading day's night
session, its after-midnight part and its day session are increasing:
18:00 -> 0, 21:00 -> 180, 00:00 -> 360, 09:00 -> 900, 15:00 -> 1260.

Which 1-minute bar a tick joins (``bar_minute``):
* inside a period: the tick's own minute;
* the call auction (the 5 minutes before the trading day's first open, e.g.
  20:55-20:59 or 09:25-09:29 for CFFEX index futures): the first bar, since the
  auction's trade is that bar's opening trade;
* within ``CLOSE_GRACE_MS`` after a period's end (the closing tick 15:00:00.000,
  SHFE's 15:00:00.500 snapshots): the period's last bar;
* anything else (post-close settlement snapshots, the 08:59 snapshot of a day
  that had a night session, test-system ticks at 17:04): outside the session,
  no bar.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from shared.domain.calendar import is_trading_day, next_trading_day, night_session_allowed
from shared.domain.instruments import Exchange, product_of

SH = ZoneInfo("Asia/Shanghai")
MINUTES_PER_DAY = 1440
_EVENING_START = 18 * 60  # a trading day's window runs from 18:00 of the evening before to 18:00
_MORNING_END = 8 * 60  # before 08:00 an instant still belongs to the night after the evening before
AUCTION_MIN = 5  # the call auction's minutes before the trading day's first open
CLOSE_GRACE_MS = 1000  # ticks this soon after a period's end belong to its last bar
OUTSIDE = -1

_Hours = tuple[tuple[tuple[str, str], ...], ...]  # sessions of periods (start, end) as HH:MM

COMMODITY_DAY: _Hours = ((("09:00", "10:15"), ("10:30", "11:30")), (("13:30", "15:00"),))
INDEX_DAY: _Hours = ((("09:30", "11:30"),), (("13:00", "15:00"),))  # IF IH IC IM since 2016-01-01
INDEX_DAY_2010: _Hours = ((("09:15", "11:30"),), (("13:00", "15:15"),))  # IF before 2016; bonds before 2020-07-20
BOND_DAY: _Hours = ((("09:30", "11:30"),), (("13:00", "15:15"),))  # T TF TS TL since 2020-07-20


@dataclass(frozen=True, slots=True)
class ProductHours:
    """A product's exchange and its hours over time: [(first trading day it applies to, value)], oldest first."""

    exchange: Exchange
    day: tuple[tuple[date, _Hours], ...]
    night_end: tuple[tuple[date, str | None], ...]


def _since(history: tuple[tuple[date, object], ...], trading_day: date) -> object:
    value = history[0][1]
    for first, candidate in history:
        if trading_day >= first:
            value = candidate
    return value


_ALWAYS = date.min
_COMMODITY = ((_ALWAYS, COMMODITY_DAY),)
# DCE closed its night at 23:30 until the night of Fri 2019-03-29 (trading day 2019-04-01)
_DCE_NIGHT = ((_ALWAYS, "23:30"), (date(2019, 4, 1), "23:00"))
# CZCE moved from 23:30 to 23:00 with the night of 2019-12-12
_CZCE_NIGHT = ((_ALWAYS, "23:30"), (date(2019, 12, 13), "23:00"))
# SHFE's first night sessions: gold and silver from the night of 2013-07-05, base metals from 2013-12-20,
# rb hc bu (to 01:00, 23:00 from the night of 2016-05-03) and ru from 2014-12-26
_SHFE_METALS_NIGHT = ((_ALWAYS, None), (date(2013, 12, 23), "01:00"))
_SHFE_STEEL_NIGHT = ((_ALWAYS, None), (date(2014, 12, 29), "01:00"), (date(2016, 5, 4), "23:00"))

PRODUCT_HOURS: dict[str, ProductHours] = {}
for _exchange, _products, _day, _night in (
    (Exchange.SHFE, "cu al zn pb", _COMMODITY, _SHFE_METALS_NIGHT),
    (Exchange.SHFE, "ni sn ss ao ad", _COMMODITY, ((_ALWAYS, "01:00"),)),
    (Exchange.SHFE, "au ag", _COMMODITY, ((_ALWAYS, None), (date(2013, 7, 8), "02:30"))),
    (Exchange.SHFE, "rb hc bu", _COMMODITY, _SHFE_STEEL_NIGHT),
    (Exchange.SHFE, "ru", _COMMODITY, ((_ALWAYS, None), (date(2014, 12, 29), "23:00"))),
    (Exchange.SHFE, "fu sp br op", _COMMODITY, ((_ALWAYS, "23:00"),)),
    (Exchange.SHFE, "wr", _COMMODITY, ((_ALWAYS, None),)),
    (Exchange.INE, "sc", _COMMODITY, ((_ALWAYS, "02:30"),)),
    (Exchange.INE, "bc", _COMMODITY, ((_ALWAYS, "01:00"),)),
    (Exchange.INE, "lu nr", _COMMODITY, ((_ALWAYS, "23:00"),)),
    (Exchange.INE, "ec", _COMMODITY, ((_ALWAYS, None),)),
    (Exchange.DCE, "a b m y p c cs l v pp eg eb pg rr i j jm", _COMMODITY, _DCE_NIGHT),
    (Exchange.DCE, "bz", _COMMODITY, ((_ALWAYS, "23:00"),)),
    (Exchange.DCE, "jd lh fb bb lg", _COMMODITY, ((_ALWAYS, None),)),
    (Exchange.CZCE, "SR CF CY TA OI RM MA FG ZC SA PF SH PX PR", _COMMODITY, _CZCE_NIGHT),
    (Exchange.CZCE, "PL", _COMMODITY, ((_ALWAYS, "23:00"),)),
    (Exchange.CZCE, "AP CJ UR SF SM PK WH PM RI LR JR RS", _COMMODITY, ((_ALWAYS, None),)),
    (Exchange.CFFEX, "IF IH IC IM", ((_ALWAYS, INDEX_DAY_2010), (date(2016, 1, 1), INDEX_DAY)), ((_ALWAYS, None),)),
    (Exchange.CFFEX, "IO MO HO", ((_ALWAYS, INDEX_DAY),), ((_ALWAYS, None),)),  # index options (2019-12-23 on)
    (Exchange.CFFEX, "T TF TS TL", ((_ALWAYS, INDEX_DAY_2010), (date(2020, 7, 20), BOND_DAY)), ((_ALWAYS, None),)),
    (Exchange.GFEX, "si lc ps", _COMMODITY, ((_ALWAYS, None),)),
):
    for _p in _products.split():
        PRODUCT_HOURS[_p] = ProductHours(_exchange, _day, _night)

# an unknown commodity gets the longest night, so none of its ticks is dropped as outside the session
_UNKNOWN_NIGHT = "02:30"


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


@dataclass(frozen=True, slots=True)
class Schedule:
    """One product's trading day: its sessions, each a tuple of [start, end) periods in session minutes."""

    sessions: tuple[tuple[tuple[int, int], ...], ...]

    @property
    def periods(self) -> tuple[tuple[int, int], ...]:
        return tuple(p for session in self.sessions for p in session)

    @property
    def open(self) -> int:
        """Session minute of the trading day's first open (its call auction ends there)."""
        return self.sessions[0][0][0]

    @property
    def close(self) -> int:
        return self.sessions[-1][-1][1]

    def contains(self, minute: int) -> bool:
        return any(start <= minute < end for start, end in self.periods)


def _hours(product: str, exchange: Exchange | None) -> ProductHours:
    hours = PRODUCT_HOURS.get(product)
    if hours is not None:
        return hours
    if exchange == Exchange.CFFEX:
        return PRODUCT_HOURS["IF"]
    night = None if exchange == Exchange.GFEX else _UNKNOWN_NIGHT
    return ProductHours(exchange or Exchange.SHFE, _COMMODITY, ((_ALWAYS, night),))


def exchange_of_product(product: str) -> Exchange | None:
    """The exchange listing ``product``, when it is in the hours table."""
    hours = PRODUCT_HOURS.get(product)
    return hours.exchange if hours else None


@functools.cache
def schedule(product: str, trading_day: date, exchange: Exchange | None = None) -> Schedule:
    """The sessions of ``product`` on ``trading_day`` (the night session only when that day has one)."""
    hours = _hours(product, exchange)
    day: _Hours = _since(hours.day, trading_day)  # type: ignore[assignment]
    night_end: str | None = _since(hours.night_end, trading_day)  # type: ignore[assignment]
    sessions: list[tuple[tuple[int, int], ...]] = []
    if night_end is not None and night_session_allowed(trading_day):
        sessions.append(((session_minute("21:00"), session_minute(night_end)),))
    for session in day:
        sessions.append(tuple((session_minute(s), session_minute(e)) for s, e in session))
    return Schedule(tuple(sessions))


def trading_periods(product: str, trading_day: date, exchange: Exchange | None = None) -> tuple[tuple[int, int], ...]:
    """The [start, end) periods of a trading day in session minutes, in order."""
    return schedule(product, trading_day, exchange).periods


@functools.cache
def minute_targets(sched: Schedule) -> tuple[np.ndarray, np.ndarray]:
    """Per session minute: the bar minute a tick in it joins (``OUTSIDE`` for none), and whether that
    holds only for ticks within ``CLOSE_GRACE_MS`` of the minute's start (a period's end minute)."""
    targets = np.full(MINUTES_PER_DAY, OUTSIDE, dtype=np.int64)
    grace_only = np.zeros(MINUTES_PER_DAY, dtype=bool)
    for start, end in sched.periods:
        targets[start:end] = np.arange(start, end)
    for start, end in sched.periods:
        if targets[end % MINUTES_PER_DAY] == OUTSIDE:
            targets[end % MINUTES_PER_DAY] = end - 1
            grace_only[end % MINUTES_PER_DAY] = True
    first = sched.open
    targets[max(first - AUCTION_MIN, 0):first] = first
    targets.setflags(write=False)
    grace_only.setflags(write=False)
    return targets, grace_only


def bar_minute(sched: Schedule, minute: int, ms_into_minute: int) -> int:
    """The session minute of the 1-minute bar a tick at ``minute`` (+ ms) joins, or ``OUTSIDE``."""
    targets, grace_only = minute_targets(sched)
    if grace_only[minute] and ms_into_minute >= CLOSE_GRACE_MS:
        return OUTSIDE
    return int(targets[minute])


class MinuteLookup:
    """``bar_minute`` for a stream of ticks: each symbol's table for its current trading day is kept
    (as lists), so a tick costs two list lookups, not a Schedule hashed into two caches."""

    def __init__(self) -> None:
        self._tables: dict[str, tuple[date, Exchange | None, Schedule, list[int], list[bool]]] = {}

    def schedule(self, symbol: str, day: date, exchange: Exchange | None = None) -> Schedule:
        return self._table(symbol, day, exchange)[2]

    def bar(self, symbol: str, day: date, ts: datetime, exchange: Exchange | None = None) -> int:
        """The session minute of the bar a tick of ``symbol`` at ``ts`` (Asia/Shanghai) on ``day`` joins,
        or ``OUTSIDE``."""
        table = self._table(symbol, day, exchange)
        minute = (ts.hour * 60 + ts.minute - _EVENING_START) % MINUTES_PER_DAY
        if table[4][minute] and ts.second * 1000 + ts.microsecond // 1000 >= CLOSE_GRACE_MS:
            return OUTSIDE
        return table[3][minute]

    def _table(self, symbol: str, day: date,
               exchange: Exchange | None) -> tuple[date, Exchange | None, Schedule, list[int], list[bool]]:
        table = self._tables.get(symbol)
        if table is None or table[0] != day or table[1] != exchange:
            sched = schedule(product_of(symbol), day, exchange)
            targets, grace_only = minute_targets(sched)
            table = self._tables[symbol] = (day, exchange, sched, targets.tolist(), grace_only.tolist())
        return table


@functools.cache
def period_ends(sched: Schedule) -> frozenset[int]:
    return frozenset(end for _, end in sched.periods)


def bar_close_minute(sched: Schedule, minute: int) -> tuple[int, int]:
    """When the 1-minute bar starting at session ``minute`` is complete: (session minute, extra ms).

    An ordinary bar at its minute's end; a period's last bar ``CLOSE_GRACE_MS`` after the period end,
    so the closing tick can still join it.
    """
    if minute + 1 in period_ends(sched):
        return minute + 1, CLOSE_GRACE_MS
    return minute + 1, 0


def trading_day(ts: datetime, product: str | None = None) -> date:
    """The trading day an instant belongs to (the same rule for every product).

    From 18:00 and before 08:00 an instant belongs to the night after the evening's
    trading day, whose trading day is the next one: Friday 21:30 and Saturday 00:30
    belong to Monday; on the eve of a holiday (no night session) to the first day
    after it. Between 08:00 and 18:00: that date, or the next trading day on a day off.
    ``product`` is accepted so call sites read naturally; it does not change the answer.
    """
    local = ts.astimezone(SH)
    clock = local.hour * 60 + local.minute
    return _trading_day_of(local.date(), 2 if clock >= _EVENING_START else 0 if clock < _MORNING_END else 1)


@functools.lru_cache(maxsize=4096)
def _trading_day_of(day: date, part: int) -> date:
    """``trading_day`` for a calendar day and part of it: 0 before 08:00, 1 the day, 2 from 18:00."""
    if part == 2:
        return next_trading_day(day)
    if part == 0:
        return next_trading_day(day - timedelta(days=1))
    return day if is_trading_day(day) else next_trading_day(day)


def is_trading_time(ts: datetime, product: str, exchange: Exchange | None = None) -> bool:
    """True when ``product`` trades continuously at ``ts`` (auction minutes and breaks are not)."""
    local = ts.astimezone(SH)
    sched = schedule(product, trading_day(local), exchange)
    return sched.contains(session_minute_of(local.hour, local.minute))


def session_start_of(ts: datetime, product: str, exchange: Exchange | None = None) -> datetime | None:
    """The start of the session holding ``ts`` (21:00, 09:00, 13:30 for copper), None outside the sessions."""
    local = ts.astimezone(SH)
    minute = session_minute_of(local.hour, local.minute)
    for session in schedule(product, trading_day(local), exchange).sessions:
        if session[0][0] <= minute < session[-1][1]:
            return local.replace(second=0, microsecond=0) - timedelta(minutes=minute - session[0][0])
    return None


@functools.cache
def bucket_starts(sched: Schedule, minutes: int) -> np.ndarray:
    """Per session minute, the start of its ``minutes``-long bucket, aligned to the start of its session.

    A bucket never crosses a session's end, and a break inside a session (10:15-10:30)
    does not restart the count: copper's 1h buckets are 21:00 22:00 23:00 00:00, 09:00,
    10:00 (10:00-10:14 and 10:30-10:59), 11:00 (11:00-11:29), 13:30, 14:30 (14:30-14:59).
    Minutes outside every session fall into clock-aligned buckets.
    """
    minute = np.arange(MINUTES_PER_DAY, dtype=np.int64)
    starts = minute - (minute % minutes)
    for session in sched.sessions:
        first, last = session[0][0], session[-1][1]
        span = minute[first:last]
        starts[first:last] = first + (span - first) // minutes * minutes
    starts.setflags(write=False)
    return starts


def bucket_last_minute(sched: Schedule, minutes: int, bucket: int) -> int:
    """The last traded minute of the bucket starting at session minute ``bucket`` (11:00 1h -> 11:29)."""
    starts = bucket_starts(sched, minutes)
    last = bucket
    for start, end in sched.periods:
        for minute in range(max(start, bucket), min(end, bucket + minutes)):
            if starts[minute] == bucket:
                last = max(last, minute)
    return last
