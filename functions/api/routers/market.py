"""K-lines: bars of any period from the stored 1-minute bars, with indicators."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from functions.api.deps import DbDep
from functions.api.errors import error_responses
from functions.api.klines import kline_rows, minutes_needed, parse_indicator_names
from functions.api.time_range import parse_range
from shared.adapters.pg_bar_ranges import start_of_latest
from shared.adapters.pg_bars import PgBarStore
from shared.errors import UnknownInstrument

router = APIRouter(prefix="/market", tags=["market"])

SYMBOL_PATTERN = r"^[A-Za-z0-9_.\-]{1,32}$"
Period = Literal["1m", "5m", "15m", "1h", "1d"]  # shared.domain.bars.PERIODS (a test keeps them equal)


class Kline(BaseModel):
    """One bar; indicator values (``ma5``, ``macd_hist``, ``rsi14`` ...) are extra keys, null during warm-up."""

    model_config = ConfigDict(extra="allow")

    ts: str = Field(description="bar start, ISO 8601 with +08:00", examples=["2021-01-04T21:00:00+08:00"])
    trading_day: str = Field(description="exchange trading day (a night bar belongs to the next one)",
                             examples=["2021-01-05"])
    open: float
    high: float
    low: float
    close: float
    volume: int
    open_interest: float | None


class Klines(BaseModel):
    symbol: str
    period: Period
    bars: list[Kline] = Field(description="oldest first")


@router.get(
    "/klines", response_model=Klines, summary="K-line bars with indicators",
    description=(
        "Bars of `period` built from stored 1-minute bars (daily bars by trading day, the night session "
        "of the evening before included), oldest first: the LAST `limit` bars of the range. Indicators are "
        "computed over the whole range before the cut, so their warm-up lies before the first returned bar. "
        "`start`/`end` (inclusive) take an ISO date, meaning a trading day, or an ISO datetime "
        "(Asia/Shanghai when it has no offset). Without `start` the range reaches back far enough for "
        "`limit` bars plus 400 bars of warm-up (MACD and RSI then equal their full-history values to "
        "about 1e-12). 404 for an unknown symbol, 400 for any bad parameter."),
    responses=error_responses(400, 404, 503),
)
def get_klines(
    conn: DbDep,
    symbol: Annotated[str, Query(
        pattern=SYMBOL_PATTERN, description="contract code, e.g. `cu_main`, `cu1801`")],
    period: Annotated[Period, Query(description="bar period")] = "1m",
    start: Annotated[str | None, Query(description="first trading day (`2021-01-05`) or instant")] = None,
    end: Annotated[str | None, Query(description="last trading day or instant; not before start")] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="at most this many bars, the latest of the range")] = 500,
    indicators: Annotated[str | None, Query(
        description="comma list: `ma` (ma5 ma10 ma20 ma60), `macd` (macd macd_signal macd_hist), `rsi` (rsi14)",
        examples=["ma,macd"])] = None,
) -> Klines:
    bar_range = parse_range(start, end)
    names = parse_indicator_names(indicators)
    store = PgBarStore(conn)
    if not store.has_instrument(symbol):
        raise UnknownInstrument(symbol)
    lo, hi = bar_range.fetch_window()
    if lo is None:
        # no start: the range is recent history long enough for limit bars plus their warm-up
        lo = start_of_latest(conn, symbol, minutes_needed(period, limit), hi)
    minute = store.minute_bars(symbol, lo, hi)
    minute = minute[bar_range.mask(minute)]
    return Klines(symbol=symbol, period=period, bars=kline_rows(minute, period, names, limit))
