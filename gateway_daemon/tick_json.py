"""A cleaned tick as JSON text, the same bytes as ``json.dumps(tick.to_json(), separators=(",", ":"))``.

Every tick is published to Redis and journaled as this text, so it is built with
one f-string instead of a dict and the json module (about 3x less work per tick).
Python's ``repr`` of an int or a finite float is what ``json`` writes; anything
else (a non-ASCII symbol, a non-finite number) goes through ``json.dumps``.
"""
from __future__ import annotations

import json
import math
from typing import Any

from shared.domain.ticks import Tick

_quoted: dict[str, str] = {}


def _symbol(symbol: str) -> str:
    text = _quoted.get(symbol)
    if text is None:
        text = _quoted[symbol] = json.dumps(symbol)
    return text


def _num(value: float | int | None) -> str:
    if value is None:
        return "null"
    if value.__class__ is int or (value.__class__ is float and math.isfinite(value)):
        return repr(value)
    return json.dumps(value)


def tick_json(tick: Tick) -> str:
    t = tick
    return (f'{{"symbol":{_symbol(t.symbol)},"ts":"{t.ts.isoformat(timespec="milliseconds")}","seq":{t.seq},'
            f'"trading_day":"{t.trading_day.isoformat()}","last_price":{_num(t.last_price)},'
            f'"volume":{t.volume},"cum_volume":{t.cum_volume},"turnover":{_num(t.turnover)},'
            f'"open_interest":{_num(t.open_interest)},"bid_price1":{_num(t.bid_price1)},'
            f'"bid_volume1":{_num(t.bid_volume1)},"ask_price1":{_num(t.ask_price1)},'
            f'"ask_volume1":{_num(t.ask_volume1)}}}')


def json_text(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))
