"""CTP DepthMarketData fields -> a typed ``Quote`` with an exact millisecond timestamp.

CTP's date fields are unreliable in night sessions, differently per exchange:

* SHFE / INE: TradingDay is the next trading day, ActionDay the calendar date (both right).
* DCE: ActionDay is the next trading day too (wrong at night); TradingDay is right.
* CZCE: TradingDay is the calendar date at night (wrong); ActionDay is right.

So at night we trust TradingDay everywhere except CZCE, and derive the calendar
date from it: the evening is the weekday before the trading day (the evening
before a holiday has no night session, so that weekday is always the previous
trading day), and ticks before 08:00 fall on the day after that evening. For
CZCE we take the evening from ActionDay (TradingDay when ActionDay is missing)
and the trading day is the next weekday after it.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.domain.instruments import PRODUCT_SPECS, Exchange, product_of
from shared.errors import InvalidInput

SH = ZoneInfo("Asia/Shanghai")
ABSENT_ABOVE = 1e300  # CTP writes DBL_MAX (1.7976931348623157e308) for "no value"
_DAY_START_S = 8 * 3600
_EVENING_START_S = 18 * 3600
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SH_OFFSET_S = 8 * 3600  # Asia/Shanghai has had no DST since 1991


@dataclass(frozen=True, slots=True)
class Quote:
    """One DepthMarketData record, parsed but not yet cleaned (Volume and Turnover still cumulative)."""

    symbol: str
    exchange: Exchange | None
    ts_ms: int  # epoch milliseconds: the ordering key
    ts: datetime  # the same instant, Asia/Shanghai
    trading_day: date
    last_price: float | None
    cum_volume: int
    cum_turnover: float | None
    open_interest: float | None
    bid_price1: float | None
    bid_volume1: int | None
    ask_price1: float | None
    ask_volume1: int | None


def _text(fields: Mapping[str, Any], name: str, required: bool = True) -> str | None:
    value = fields.get(name)
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise InvalidInput(f"{name} is missing", {"field": name})
        return None
    return text


def _number(fields: Mapping[str, Any], name: str, required: bool = False) -> float | None:
    text = _text(fields, name, required)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{name} is not a number: {text!r}", {"field": name, "value": text}) from None
    return None if math.isnan(value) or abs(value) >= ABSENT_ABOVE else value


def _price(fields: Mapping[str, Any], name: str) -> float | None:
    value = _number(fields, name)
    return None if value == 0 else value  # 0 means "no price" (e.g. an empty book side)


def _integer(fields: Mapping[str, Any], name: str, required: bool = False) -> int | None:
    value = _number(fields, name, required)
    if value is None:
        if required:
            raise InvalidInput(f"{name} is missing", {"field": name})
        return None
    if value != int(value):
        raise InvalidInput(f"{name} is not a whole number: {value!r}", {"field": name, "value": value})
    return int(value)


def _day(fields: Mapping[str, Any], name: str, required: bool) -> date | None:
    text = _text(fields, name, required)
    if text is None:
        return None
    try:
        if len(text) != 8:
            raise ValueError(text)
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        if required:
            raise InvalidInput(f"{name} is not a date YYYYMMDD: {text!r}", {"field": name, "value": text}) from None
        return None  # a broken ActionDay is recoverable from TradingDay


def _seconds(text: str) -> int:
    try:
        hours, minutes, seconds = (int(part) for part in text.split(":"))
    except ValueError:
        raise InvalidInput(f"UpdateTime is not HH:MM:SS: {text!r}", {"field": "UpdateTime", "value": text}) from None
    if not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= seconds < 61):
        raise InvalidInput(f"UpdateTime is out of range: {text!r}", {"field": "UpdateTime", "value": text})
    return hours * 3600 + minutes * 60 + min(seconds, 59)


def previous_weekday(day: date) -> date:
    back = 3 if day.weekday() == 0 else 2 if day.weekday() == 6 else 1
    return day - timedelta(days=back)


def next_weekday(day: date) -> date:
    ahead = 3 if day.weekday() == 4 else 2 if day.weekday() == 5 else 1
    return day + timedelta(days=ahead)


def resolve_dates(exchange: Exchange | None, trading_day: date, action_day: date | None,
                  seconds_of_day: int) -> tuple[date, date]:
    """(calendar date of the tick, its trading day) from CTP's date fields and the time of day."""
    if _DAY_START_S <= seconds_of_day < _EVENING_START_S:
        return trading_day, trading_day
    evening_part = seconds_of_day >= _EVENING_START_S
    if exchange == Exchange.CZCE:
        calendar = action_day or trading_day
        evening = calendar if evening_part else calendar - timedelta(days=1)
        return calendar, next_weekday(evening)
    evening = previous_weekday(trading_day)
    return (evening if evening_part else evening + timedelta(days=1)), trading_day


def parse_quote(fields: Mapping[str, Any], exchange_hint: Exchange | None = None) -> Quote:
    """Parse CTP DepthMarketData fields; raises InvalidInput naming the bad field."""
    symbol = _text(fields, "InstrumentID")
    assert symbol is not None
    exchange_text = _text(fields, "ExchangeID", required=False)
    exchange = exchange_hint
    if exchange_text:
        try:
            exchange = Exchange(exchange_text)
        except ValueError:
            raise InvalidInput(f"ExchangeID is unknown: {exchange_text!r}", {"field": "ExchangeID"}) from None
    if exchange is None:
        spec = PRODUCT_SPECS.get(product_of(symbol))
        exchange = spec.exchange if spec else None
    trading_day = _day(fields, "TradingDay", required=True)
    assert trading_day is not None
    action_day = _day(fields, "ActionDay", required=False)
    seconds = _seconds(_text(fields, "UpdateTime") or "")
    millis = _integer(fields, "UpdateMillisec") or 0
    if not 0 <= millis < 1000:
        raise InvalidInput(f"UpdateMillisec is out of range: {millis}", {"field": "UpdateMillisec", "value": millis})
    calendar, trading_day = resolve_dates(exchange, trading_day, action_day, seconds)
    ts_ms = ((calendar.toordinal() - _EPOCH_ORDINAL) * 86400 + seconds - _SH_OFFSET_S) * 1000 + millis
    ts = datetime(calendar.year, calendar.month, calendar.day, seconds // 3600, seconds // 60 % 60,
                  seconds % 60, millis * 1000, tzinfo=SH)
    cum_volume = _integer(fields, "Volume", required=True)
    assert cum_volume is not None
    return Quote(
        symbol=symbol, exchange=exchange, ts_ms=ts_ms, ts=ts, trading_day=trading_day,
        last_price=_price(fields, "LastPrice"), cum_volume=cum_volume,
        cum_turnover=_number(fields, "Turnover"), open_interest=_number(fields, "OpenInterest"),
        bid_price1=_price(fields, "BidPrice1"), bid_volume1=_integer(fields, "BidVolume1"),
        ask_price1=_price(fields, "AskPrice1"), ask_volume1=_integer(fields, "AskVolume1"),
    )
