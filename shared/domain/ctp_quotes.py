"""CTP DepthMarketData fields -> a typed ``Quote`` with an exact millisecond timestamp.

CTP's date fields are unreliable outside the day session, differently per exchange:

* SHFE / INE: TradingDay is the next trading day, ActionDay the calendar date (both right).
* DCE: ActionDay is the next trading day too (wrong at night); TradingDay is right.
* CZCE: TradingDay is the calendar date at night (wrong); ActionDay is right.
* Everywhere, after the close the front may already send the next TradingDay
  (a 17:04 snapshot with ActionDay 20231129 and TradingDay 20231130).

So: between 08:00 and 18:00 the calendar date is ActionDay (TradingDay when it is
missing). At night SHFE and INE keep ActionDay too; DCE and the others derive the
calendar date from TradingDay (the evening is the previous trading day, because
the evening before a holiday has no night session; ticks before 08:00 fall on the
day after it); CZCE takes the evening from ActionDay and its trading day is the
next trading day after that evening. UpdateMillisec is an integer count of
milliseconds (5 -> .005), 0 when the exchange sends whole seconds (CZCE).
"""
from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.domain.calendar import next_trading_day, previous_trading_day
from shared.domain.instruments import PRODUCT_SPECS, Exchange, product_of
from shared.domain.sessions import exchange_of_product
from shared.errors import InvalidInput

SH = ZoneInfo("Asia/Shanghai")
ABSENT_ABOVE = 1e300  # CTP writes DBL_MAX (1.7976931348623157e308) for "no value"
_DAY_START_S = 8 * 3600
_EVENING_START_S = 18 * 3600
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SH_OFFSET_S = 8 * 3600  # Asia/Shanghai has had no DST since 1991
_LEVELS = range(1, 6)


@dataclass(slots=True)
class Quote:
    """One DepthMarketData record, parsed but not yet cleaned (Volume and Turnover still cumulative).
    A value, not frozen for speed, as ``Tick``."""

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
    # levels 1..5 (None where the exchange sends no level), close and settlement: absent until set
    bid_prices: tuple[float | None, ...] = ()
    bid_volumes: tuple[int | None, ...] = ()
    ask_prices: tuple[float | None, ...] = ()
    ask_volumes: tuple[int | None, ...] = ()
    close_price: float | None = None
    settlement_price: float | None = None


def _text(fields: Mapping[str, Any], name: str, required: bool = True) -> str | None:
    value = fields.get(name)
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise InvalidInput(f"{name} is missing", {"field": name})
        return None
    return text


def _number(fields: Mapping[str, Any], name: str, required: bool = False) -> float | None:
    value = fields.get(name)
    try:
        number = float(value)  # type: ignore[arg-type]  # str (surrounding blanks allowed), int or float
    except (TypeError, ValueError):
        text = _text(fields, name, required)
        if text is None:
            return None
        raise InvalidInput(f"{name} is not a number: {text!r}", {"field": name, "value": text}) from None
    return None if math.isnan(number) or abs(number) >= ABSENT_ABOVE else number


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


_DAYS: dict[str, date] = {}  # YYYYMMDD texts seen: a few per file or session
_SECONDS: dict[str, int] = {}  # HH:MM:SS texts seen: at most 86,400


def _day(fields: Mapping[str, Any], name: str, required: bool) -> date | None:
    text = _text(fields, name, required)
    if text is None:
        return None
    known = _DAYS.get(text)
    if known is not None:
        return known
    try:
        if len(text) != 8:
            raise ValueError(text)
        day = _DAYS[text] = date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
        return day
    except ValueError:
        if required:
            raise InvalidInput(f"{name} is not a date YYYYMMDD: {text!r}", {"field": name, "value": text}) from None
        return None  # a broken ActionDay is recoverable from TradingDay


def _seconds(text: str) -> int:
    known = _SECONDS.get(text)
    if known is not None:
        return known
    _SECONDS[text] = seconds = _parse_seconds(text)
    return seconds


def _parse_seconds(text: str) -> int:
    try:
        hours, minutes, seconds = (int(part) for part in text.split(":"))
    except ValueError:
        raise InvalidInput(f"UpdateTime is not HH:MM:SS: {text!r}", {"field": "UpdateTime", "value": text}) from None
    if not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= seconds < 61):
        raise InvalidInput(f"UpdateTime is out of range: {text!r}", {"field": "UpdateTime", "value": text})
    return hours * 3600 + minutes * 60 + min(seconds, 59)


def resolve_dates(exchange: Exchange | None, trading_day: date, action_day: date | None,
                  seconds_of_day: int) -> tuple[date, date]:
    """(calendar date of the tick, its trading day) from CTP's date fields and the time of day."""
    if _DAY_START_S <= seconds_of_day < _EVENING_START_S:
        return action_day or trading_day, trading_day
    return _night_dates(exchange, trading_day, action_day, seconds_of_day >= _EVENING_START_S)


@functools.lru_cache(maxsize=1024)
def _night_dates(exchange: Exchange | None, trading_day: date, action_day: date | None,
                 evening_part: bool) -> tuple[date, date]:
    if exchange == Exchange.CZCE:
        calendar = action_day or trading_day
        evening = calendar if evening_part else calendar - timedelta(days=1)
        return calendar, next_trading_day(evening)
    if exchange in (Exchange.SHFE, Exchange.INE) and action_day is not None:
        return action_day, trading_day
    evening = previous_trading_day(trading_day)
    return (evening if evening_part else evening + timedelta(days=1)), trading_day


def exchange_of_symbol(symbol: str) -> Exchange | None:
    """The exchange a contract trades on, from its product: for feeds that leave ExchangeID empty."""
    spec = PRODUCT_SPECS.get(product_of(symbol))
    return spec.exchange if spec else exchange_of_product(product_of(symbol))


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
        exchange = exchange_of_symbol(symbol)
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
        **_depth_and_settlement(fields),
    )


def _depth_and_settlement(fields: Mapping[str, Any]) -> dict[str, Any]:
    # level-1 feeds and recordings carry no deeper levels: skip 20 lookups per tick for them
    out: dict[str, Any] = {}
    if "BidPrice2" in fields or "AskPrice2" in fields:
        out["bid_prices"] = tuple(_price(fields, f"BidPrice{n}") for n in _LEVELS)
        out["bid_volumes"] = tuple(_integer(fields, f"BidVolume{n}") for n in _LEVELS)
        out["ask_prices"] = tuple(_price(fields, f"AskPrice{n}") for n in _LEVELS)
        out["ask_volumes"] = tuple(_integer(fields, f"AskVolume{n}") for n in _LEVELS)
    if "ClosePrice" in fields:
        out["close_price"] = _price(fields, "ClosePrice")
    if "SettlementPrice" in fields:
        out["settlement_price"] = _price(fields, "SettlementPrice")
    return out
