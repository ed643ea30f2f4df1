"""Cleaned ticks and the ``TickCleaner`` that makes them from CTP DepthMarketData fields.

Cleaning, per symbol: exact timestamps (see ``ctp_quotes``), absent prices
(DBL_MAX or 0) as None, ticks outside the product's sessions dropped (call-auction
and closing ticks are inside: see ``sessions``), cumulative Volume/Turnover turned
into per-tick deltas that restart with each trading day, exact duplicates and
ticks that go back in time dropped, and a ``seq`` that orders ticks sharing one
timestamp (CZCE stamps whole seconds). Every drop is counted by reason in
``.dropped`` and logged (``drops``; the daemon logs the counts with its stats, the import prints them):
``malformed``, ``outside_session``, ``out_of_order``, ``duplicate``, ``volume_went_back``.

Volume baseline: a trading day's first tick counts in full (it carries the call
auction's volume) when it falls in the day's first bar, or when the symbol's
previous tick was of an earlier trading day. The first tick seen of a symbol in
the middle of a day is only the baseline (delta 0): its cumulative volume belongs
to bars that were never seen. A delta is never floored: a cumulative volume that
goes back within one trading day drops the tick instead.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from shared.domain.ctp_quotes import Quote, parse_quote
from shared.domain.drops import Drops
from shared.domain.instruments import Exchange
from shared.domain.sessions import OUTSIDE, MinuteLookup, trading_day
from shared.errors import InvalidInput


@dataclass(slots=True)
class Tick:
    """One cleaned level-1 tick; ``volume``/``turnover`` are this tick's own, not cumulative.

    A value: nothing changes a Tick after it is made. It is not a frozen dataclass because that
    costs 1.3 us more per tick to build (every field through ``object.__setattr__``), about a tenth
    of the daemon's work per tick."""

    symbol: str
    ts: datetime  # exchange time, Asia/Shanghai, millisecond precision
    seq: int  # 0 for the first tick at ts, 1 for the next one with the same ts, ...
    trading_day: date
    last_price: float | None
    volume: int
    cum_volume: int
    turnover: float | None
    open_interest: float | None
    bid_price1: float | None
    bid_volume1: int | None
    ask_price1: float | None
    ask_volume1: int | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: ts ISO 8601 with +08:00, trading_day ``YYYY-MM-DD``."""
        return {
            "symbol": self.symbol,
            "ts": self.ts.isoformat(timespec="milliseconds"),
            "seq": self.seq,
            "trading_day": self.trading_day.isoformat(),
            "last_price": self.last_price,
            "volume": self.volume,
            "cum_volume": self.cum_volume,
            "turnover": self.turnover,
            "open_interest": self.open_interest,
            "bid_price1": self.bid_price1,
            "bid_volume1": self.bid_volume1,
            "ask_price1": self.ask_price1,
            "ask_volume1": self.ask_volume1,
        }


@dataclass(slots=True)
class _SymbolState:
    ts_ms: int
    seq: int
    trading_day: date
    cum_volume: int
    cum_turnover: float | None
    same_ts: list[Quote] = field(default_factory=list)  # quotes already seen at ts_ms (compared, never hashed)


class TickCleaner:
    """Stateful cleaner for any number of symbols; feed each symbol's ticks in arrival order.

    ``joined_mid_day``: treat every symbol's first tick as a baseline (delta 0), even
    in the day's first bar (a recording that starts just after the open).
    ``exchanges``: symbol -> exchange for feeds whose ExchangeID is empty.
    """

    def __init__(self, *, joined_mid_day: bool = False, exchanges: Mapping[str, Exchange] | None = None) -> None:
        self.dropped = Drops("tick cleaning")
        self._joined_mid_day = joined_mid_day
        self._exchanges = dict(exchanges or {})
        self._state: dict[str, _SymbolState] = {}
        self._minutes = MinuteLookup()
        self._days: dict[int, date] = {}  # epoch minute -> its trading day

    def clean(self, fields: Mapping[str, Any]) -> Tick | None:
        """The cleaned tick, or None when it is dropped (the reason is counted in ``.dropped``)."""
        try:
            quote = self.parse(fields)
        except InvalidInput as exc:
            self.dropped.drop("malformed", str(fields.get("InstrumentID", "")).strip(), exc.message)
            return None
        return self.accept(quote)

    def parse(self, fields: Mapping[str, Any]) -> Quote:
        """Parse only (raises InvalidInput naming the field); for callers that report bad records."""
        return parse_quote(fields, self._exchanges.get(str(fields.get("InstrumentID", "")).strip()))

    def _bar_minute(self, quote: Quote) -> int:
        """The session minute of the bar the quote joins, or OUTSIDE (also for a ts not in its trading day)."""
        minute = quote.ts_ms // 60_000  # a trading day changes only on a whole minute (08:00, 18:00)
        day = self._days.get(minute)
        if day is None:
            if len(self._days) >= 4096:
                self._days.clear()
            day = self._days[minute] = trading_day(quote.ts)
        if day != quote.trading_day:
            return OUTSIDE
        return self._minutes.bar(quote.symbol, day, quote.ts, quote.exchange)

    def accept(self, quote: Quote) -> Tick | None:
        """Clean a parsed quote against the symbol's previous ticks."""
        bar = self._bar_minute(quote)
        if bar == OUTSIDE:
            self.dropped.drop("outside_session", quote.symbol, quote.ts.isoformat(timespec="milliseconds"))
            return None
        state = self._state.get(quote.symbol)
        if state is not None:
            if quote.ts_ms < state.ts_ms:
                self.dropped.drop("out_of_order", quote.symbol, quote.ts.isoformat(timespec="milliseconds"))
                return None
            if quote.ts_ms == state.ts_ms and quote in state.same_ts:
                self.dropped.drop("duplicate", quote.symbol, quote.ts.isoformat(timespec="milliseconds"))
                return None
        same_day = state is not None and quote.trading_day == state.trading_day
        if state is not None and same_day and quote.cum_volume < state.cum_volume:
            self.dropped.drop("volume_went_back", quote.symbol,
                              f"{quote.ts.isoformat(timespec='milliseconds')} Volume {quote.cum_volume}")
            return None

        if same_day:
            assert state is not None
            volume = quote.cum_volume - state.cum_volume
            turnover = _delta(quote.cum_turnover, state.cum_turnover)
        elif state is None and (self._joined_mid_day or bar != self._minutes.schedule(
                quote.symbol, quote.trading_day, quote.exchange).open):
            volume, turnover = 0, (0.0 if quote.cum_turnover is not None else None)
        else:  # a trading day's first tick is its own delta (the call auction's trade)
            volume, turnover = quote.cum_volume, quote.cum_turnover

        if state is not None and quote.ts_ms == state.ts_ms:
            state.seq += 1
            state.same_ts.append(quote)
        elif state is None:
            state = self._state[quote.symbol] = _SymbolState(quote.ts_ms, 0, quote.trading_day, 0, None, [quote])
        else:  # a new time: the state starts again (in place: one object per symbol, not per tick)
            state.ts_ms, state.seq, state.cum_turnover, state.same_ts = quote.ts_ms, 0, None, [quote]
        state.trading_day = quote.trading_day
        state.cum_volume = quote.cum_volume
        if quote.cum_turnover is not None:
            state.cum_turnover = quote.cum_turnover
        return Tick(quote.symbol, quote.ts, state.seq, quote.trading_day, quote.last_price, volume, quote.cum_volume,
                    turnover, quote.open_interest, quote.bid_price1, quote.bid_volume1, quote.ask_price1,
                    quote.ask_volume1)  # positional: keywords cost 0.4 us more a tick


def _delta(current: float | None, previous: float | None) -> float | None:
    if current is None:
        return None
    return current if previous is None else current - previous
