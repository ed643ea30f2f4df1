"""``parse_quote`` for the daemon's hot path: the same ``Quote`` from typed CTP fields, with caches.

CTP (and the replay source) hand over DepthMarketData with values already typed
(str, float, int). ``shared.domain.ctp_quotes.parse_quote`` is written for text
(CSV files): it strips, converts and validates every field, and resolves the
calendar date from the exchange's date fields for every tick. Here the values
are checked by type, and what depends only on a few distinct texts (the symbol
and its exchange, the date fields, the time of day) is looked up in caches that
``parse_quote`` itself fills on a miss, so the rules live in one place.

``parse`` returns None for anything it does not take (a text value, deeper book
levels, close or settlement prices, a value ``parse_quote`` refuses): the caller
then uses ``parse_quote`` (through ``TickCleaner.clean``), which counts or raises
as usual.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from shared.domain.ctp_quotes import SH, Quote, parse_quote
from shared.domain.instruments import Exchange
from shared.errors import InvalidInput

ABSENT_ABOVE = 1e300  # CTP writes DBL_MAX for "no value"
_DAY_START_S = 8 * 3600
_EVENING_START_S = 18 * 3600
_SLOW_PATH_KEYS = ("BidPrice2", "AskPrice2", "ClosePrice", "SettlementPrice")
QUOTE_FIELDS = ("InstrumentID", "ExchangeID", "TradingDay", "ActionDay", "UpdateTime", "UpdateMillisec", "LastPrice",
                "Volume", "Turnover", "OpenInterest", "BidPrice1", "BidVolume1", "AskPrice1", "AskVolume1")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SH_OFFSET_S = 8 * 3600
MAX_TIMES = 4096  # exchange instants kept as datetimes


class _Slow(Exception):
    """A value the fast path does not take."""


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if value.__class__ is float:
        return None if value != value or abs(value) >= ABSENT_ABOVE else value
    if value.__class__ is int:
        return None if abs(value) >= ABSENT_ABOVE else float(value)
    raise _Slow


def _price(value: Any) -> float | None:
    number = _number(value)
    return None if number == 0 else number


def _integer(value: Any) -> int | None:
    if value.__class__ is int:
        return value
    if value is None:
        return None
    number = _number(value)
    if number is None:
        return None
    if number != int(number):
        raise _Slow
    return int(number)


class QuoteParser:
    """Equal to ``parse_quote(fields, exchange_hint)`` wherever ``parse`` does not return None."""

    def __init__(self, exchange_hint: Exchange | None = None) -> None:
        self._hint = exchange_hint
        self._symbols: dict[tuple[str, str], tuple[str, Exchange | None]] = {}
        self._seconds: dict[str, int] = {}
        # (exchange, TradingDay, ActionDay, part of day) -> (calendar y, m, d, trading day, epoch ms at midnight)
        self._dates: dict[tuple[Any, str, str, int], tuple[int, int, int, date, int]] = {}
        self._times: dict[int, datetime] = {}  # epoch ms -> its Asia/Shanghai datetime

    def parse(self, fields: Mapping[str, Any]) -> Quote | None:
        f = fields
        try:
            for key in _SLOW_PATH_KEYS:
                if key in f:
                    return None
            quote = self.parse_known(
                f["InstrumentID"], f.get("ExchangeID", ""), f["TradingDay"], f.get("ActionDay", ""), f["UpdateTime"],
                f.get("UpdateMillisec", 0), f.get("LastPrice"), f["Volume"], f.get("Turnover"), f.get("OpenInterest"),
                f.get("BidPrice1"), f.get("BidVolume1"), f.get("AskPrice1"), f.get("AskVolume1"))
            return quote if quote is not None else self._learn(f)
        except (_Slow, KeyError, InvalidInput):
            return None

    def parse_known(self, raw_symbol: Any, raw_exchange: Any, raw_trading_day: Any, raw_action_day: Any,
                    time_text: Any, millis: Any, last: Any, volume: Any, turnover: Any, open_interest: Any,
                    bid: Any, bid_volume: Any, ask: Any, ask_volume: Any) -> Quote | None:
        """``parse`` of a level-1 DepthMarketData given as its values (``QUOTE_FIELDS``, in that order), from
        what the caches hold: None where ``parse`` would have to learn or would not take the values."""
        known = self._symbols.get((raw_symbol, raw_exchange))
        seconds = self._seconds.get(time_text)
        if known is None or seconds is None or millis.__class__ is not int or not 0 <= millis < 1000:
            return None
        symbol, exchange = known
        part = 0 if _DAY_START_S <= seconds < _EVENING_START_S else (1 if seconds >= _EVENING_START_S else 2)
        dates = self._dates.get((exchange, raw_trading_day, raw_action_day, part))
        if dates is None:
            return None
        year, month, day, trading_day, midnight_ms = dates
        try:
            cum_volume = _integer(volume)
            if cum_volume is None:
                return None
            ts_ms = midnight_ms + seconds * 1000 + millis
            ts = self._times.get(ts_ms)  # SHFE stamps every contract with the same 500 ms instants: one object each
            if ts is None:
                if len(self._times) >= MAX_TIMES:
                    self._times.clear()
                ts = self._times[ts_ms] = datetime(year, month, day, seconds // 3600, seconds // 60 % 60,
                                                   seconds % 60, millis * 1000, tzinfo=SH)
            # positional: keywords cost 0.4 us more a quote
            return Quote(symbol, exchange, ts_ms, ts, trading_day, _price(last), cum_volume, _number(turnover),
                         _number(open_interest), _price(bid), _integer(bid_volume), _price(ask), _integer(ask_volume))
        except _Slow:
            return None

    def _learn(self, f: Mapping[str, Any]) -> Quote:
        """A cache miss: ``parse_quote`` decides (raising on bad input) and its answer fills the caches."""
        for name in ("InstrumentID", "ExchangeID", "TradingDay", "ActionDay", "UpdateTime"):
            if f.get(name, "").__class__ is not str:
                raise _Slow
        for name in ("LastPrice", "Turnover", "OpenInterest", "BidPrice1", "AskPrice1", "Volume", "BidVolume1",
                     "AskVolume1"):
            value = f.get(name)
            if value is not None and value.__class__ not in (float, int):
                raise _Slow
        quote = parse_quote(f, self._hint)
        ts = quote.ts
        seconds = ts.hour * 3600 + ts.minute * 60 + ts.second
        self._symbols[(f["InstrumentID"], f.get("ExchangeID", ""))] = (quote.symbol, quote.exchange)
        self._seconds[f["UpdateTime"]] = seconds
        part = 0 if _DAY_START_S <= seconds < _EVENING_START_S else (1 if seconds >= _EVENING_START_S else 2)
        midnight_ms = ((ts.toordinal() - _EPOCH_ORDINAL) * 86400 - _SH_OFFSET_S) * 1000
        self._dates[(quote.exchange, f["TradingDay"], f.get("ActionDay", ""), part)] = (
            ts.year, ts.month, ts.day, quote.trading_day, midnight_ms)
        return quote
