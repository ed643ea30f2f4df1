"""A cleaned tick as JSON text, the same bytes as ``json.dumps(tick.to_json(), separators=(",", ":"))``.

Every tick is published to Redis and journaled as this text, so it is built with
one f-string instead of a dict and the json module (about 3x less work per tick).
Python's ``repr`` of an int or a finite float is what ``json`` writes; anything
else (a symbol json would escape, a non-finite number) goes through ``json.dumps``.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from shared.domain.ctp_quotes import SH
from shared.domain.ticks import Tick

_quoted: dict[str, str] = {}
# Exchange times repeat across contracts (SHFE stamps every 500 ms), trading days for a whole day:
# their texts are kept (the datetime's hash is cached in the object; isoformat costs 1.4 us, a third
# of the tick's text). Keyed only by Asia/Shanghai times, whose text an equal instant elsewhere would not share.
_times: dict[datetime, str] = {}
_days: dict[date, str] = {}
MAX_TIMES = 4096


def _symbol(symbol: str) -> str:
    text = _quoted.get(symbol)
    if text is None:
        text = _quoted[symbol] = json.dumps(symbol)
    return text


def _time(ts: datetime) -> str:
    text = _times.get(ts) if ts.tzinfo is SH else None
    if text is None:
        text = ts.isoformat(timespec="milliseconds")
        if ts.tzinfo is SH:
            if len(_times) >= MAX_TIMES:
                _times.clear()
            _times[ts] = text
    return text


def _day(day: date) -> str:
    text = _days.get(day)
    if text is None:
        if len(_days) >= MAX_TIMES:
            _days.clear()
        text = _days[day] = day.isoformat()
    return text


def tick_json(tick: Tick) -> str:
    t = tick
    text = (f'{{"symbol":{_symbol(t.symbol)},"ts":"{_time(t.ts)}","seq":{t.seq},'
            f'"trading_day":"{_day(t.trading_day)}",'
            f'"last_price":{"null" if t.last_price is None else repr(t.last_price)},'
            f'"volume":{t.volume!r},"cum_volume":{t.cum_volume!r},'
            f'"turnover":{"null" if t.turnover is None else repr(t.turnover)},'
            f'"open_interest":{"null" if t.open_interest is None else repr(t.open_interest)},'
            f'"bid_price1":{"null" if t.bid_price1 is None else repr(t.bid_price1)},'
            f'"bid_volume1":{"null" if t.bid_volume1 is None else repr(t.bid_volume1)},'
            f'"ask_price1":{"null" if t.ask_price1 is None else repr(t.ask_price1)},'
            f'"ask_volume1":{"null" if t.ask_volume1 is None else repr(t.ask_volume1)}}}')
    # repr writes nan/inf where json writes NaN/Infinity: such a tick (or a symbol with those letters)
    # takes the slow road
    if "nan" in text or "inf" in text:
        return json_text(t.to_json())
    return text


def json_text(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))
