"""vn.py ``TickData`` rows (a CSV export of vn.py's tick table) -> the ``Quote`` the ``TickCleaner`` takes.

Columns: ``symbol``, ``exchange`` (vn.py's ``Exchange`` values: SHFE INE DCE CZCE CFFEX GFEX),
``datetime`` (the calendar time of the tick, ISO 8601 with ``T`` or a space, Asia/Shanghai unless it
carries an offset), ``volume`` and ``turnover`` (cumulative for the trading day, as CTP sends them),
``open_interest``, ``last_price``, ``bid_price_1`` .. ``ask_volume_5``; the rest is ignored.
vn.py has already turned CTP's date fields into a calendar date, so the trading day comes
from the time (``sessions.trading_day``: a night tick belongs to the next trading day).
vn.py writes 0 for an absent price; that becomes None as for CTP.

vn.py's CTP gateway formats UpdateMillisec without padding (``f"{UpdateTime}.{UpdateMillisec}"``
parsed with ``%f``), so 5 ms reads as .500: the information is gone before the file is written,
and the cleaner then drops the tick that seems to go back in time as ``out_of_order``.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.domain.ctp_quotes import SH, Quote, _integer, _number, _price, _text
from shared.domain.instruments import parse_exchange
from shared.domain.sessions import trading_day
from shared.errors import InvalidInput

VNPY_TICK_COLUMNS = ("symbol", "exchange", "datetime", "last_price", "volume")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_LEVELS = range(1, 6)


def is_vnpy_tick_row(fields: Mapping[str, Any]) -> bool:
    """True when a CSV row has vn.py's tick columns (and not CTP's)."""
    return "InstrumentID" not in fields and all(name in fields for name in VNPY_TICK_COLUMNS)


def parse_vnpy_tick(fields: Mapping[str, Any]) -> Quote:
    """Parse one vn.py tick row; raises InvalidInput naming the bad field."""
    symbol = _text(fields, "symbol")
    assert symbol is not None
    exchange = parse_exchange(_text(fields, "exchange") or "")
    stamp = _text(fields, "datetime") or ""
    try:
        ts = datetime.fromisoformat(stamp)
    except ValueError:
        raise InvalidInput(f"datetime is not ISO 8601: {stamp!r}", {"field": "datetime", "value": stamp}) from None
    ts = ts.replace(tzinfo=SH) if ts.tzinfo is None else ts.astimezone(SH)
    ts = ts.replace(microsecond=ts.microsecond // 1000 * 1000)  # CTP times are whole milliseconds
    ts_ms = (ts - _EPOCH) // _MS
    cum_volume = _integer(fields, "volume", required=True)
    assert cum_volume is not None
    bid_prices = tuple(_price(fields, f"bid_price_{n}") for n in _LEVELS)
    bid_volumes = tuple(_integer(fields, f"bid_volume_{n}") for n in _LEVELS)
    ask_prices = tuple(_price(fields, f"ask_price_{n}") for n in _LEVELS)
    ask_volumes = tuple(_integer(fields, f"ask_volume_{n}") for n in _LEVELS)
    day: date = trading_day(ts)
    return Quote(
        symbol=symbol, exchange=exchange, ts_ms=ts_ms, ts=ts, trading_day=day,
        last_price=_price(fields, "last_price"), cum_volume=cum_volume,
        cum_turnover=_number(fields, "turnover"), open_interest=_number(fields, "open_interest"),
        bid_price1=bid_prices[0], bid_volume1=bid_volumes[0], ask_price1=ask_prices[0], ask_volume1=ask_volumes[0],
        bid_prices=bid_prices, bid_volumes=bid_volumes, ask_prices=ask_prices, ask_volumes=ask_volumes,
    )

