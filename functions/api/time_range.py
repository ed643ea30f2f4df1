"""The ``start``/``end`` of a K-line query.

An ISO date (``2021-01-05``) names a trading day: the range takes every bar
of that trading day, night session of the evening before included. An ISO
datetime names an instant; without an offset it is Asia/Shanghai time. Both
bounds are inclusive.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from shared.errors import InvalidInput

SH = ZoneInfo("Asia/Shanghai")
# the earliest bar of a trading day starts at most this long before its date: Friday 21:00
# night bars belong to Monday; a holiday's first day has no night session at all
NIGHT_LOOKBACK = timedelta(days=3)
MIN_YEAR, MAX_YEAR = 1990, 2200  # Chinese futures trading began in the 1990s


@dataclass(frozen=True, slots=True)
class Bound:
    """One end of the range: a trading day or an instant."""

    day: date | None = None
    instant: datetime | None = None


@dataclass(frozen=True, slots=True)
class BarRange:
    start: Bound | None
    end: Bound | None

    def fetch_window(self) -> tuple[datetime | None, datetime | None]:
        """The bar timestamps (inclusive) that can hold the range; filter with ``keeps``."""
        lo = hi = None
        if self.start is not None:
            lo = self.start.instant or datetime.combine(self.start.day - NIGHT_LOOKBACK, time(), SH)
        if self.end is not None:
            # a trading day's bars all start before midnight of its date (day session ends at 15:15)
            hi = self.end.instant or datetime.combine(self.end.day + timedelta(days=1), time(), SH) - timedelta(microseconds=1)
        return lo, hi


    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """Which rows of a bar frame (columns ts, trading_day) fall inside the range."""
        keep = pd.Series(True, index=frame.index)
        if self.start is None and self.end is None:
            return keep
        ts = pd.to_datetime(frame["ts"])
        day = pd.to_datetime(frame["trading_day"])
        if self.start is not None:
            keep &= (ts >= self.start.instant) if self.start.instant else (day >= pd.Timestamp(self.start.day))
        if self.end is not None:
            keep &= (ts <= self.end.instant) if self.end.instant else (day <= pd.Timestamp(self.end.day))
        return keep


def parse_bound(text: str | None, field: str) -> Bound | None:
    """A date or datetime from ISO text; InvalidInput naming ``field`` otherwise."""
    if text is None or text.strip() == "":
        return None
    text = text.strip()
    try:
        if "T" not in text and " " not in text:  # a date (2021-01-05, 20210105, 2021-W01-2): a trading day
            bound = Bound(day=date.fromisoformat(text))
        else:
            value = datetime.fromisoformat(text)
            bound = Bound(instant=value if value.tzinfo else value.replace(tzinfo=SH))
    except ValueError as exc:
        # a '+' sent raw in a query string arrives as a space: "09:30:00 08:00"
        hint = "; send the offset's '+' as %2B" if " " in text and text.rsplit(" ", 1)[-1][:2].isdigit() else ""
        raise InvalidInput(
            f"{field} {text!r} is not an ISO date (2021-01-05) or datetime (2021-01-05T09:30:00[+08:00]){hint}",
            [{"field": f"query.{field}", "message": "expected an ISO date or datetime"}]) from exc
    year = (bound.day or bound.instant).year
    if not MIN_YEAR <= year <= MAX_YEAR:
        # also keeps the day arithmetic of fetch_window away from date.min/date.max
        raise InvalidInput(f"{field} {text!r} is outside the years {MIN_YEAR}..{MAX_YEAR}",
                           [{"field": f"query.{field}", "message": f"year must be {MIN_YEAR}..{MAX_YEAR}"}])
    return bound


def parse_range(start: str | None, end: str | None) -> BarRange:
    lo, hi = parse_bound(start, "start"), parse_bound(end, "end")
    if lo is not None and hi is not None and _end_before_start(lo, hi):
        raise InvalidInput(f"end {end!r} is before start {start!r}",
                           [{"field": "query.end", "message": "must not be before start"}])
    return BarRange(lo, hi)


def _end_before_start(start: Bound, end: Bound) -> bool:
    if start.day is not None and end.day is not None:
        return end.day < start.day
    # a day against an instant: the day spans its whole date
    return _latest(end) < _earliest(start)


def _earliest(bound: Bound) -> datetime:
    return bound.instant or datetime.combine(bound.day, time(), SH)


def _latest(bound: Bound) -> datetime:
    return bound.instant or datetime.combine(bound.day + timedelta(days=1), time(), SH)
