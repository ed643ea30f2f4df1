"""K-lines: bars of any period from the stored 1-minute bars, with indicators."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from functions.api.deps import DbDep, RedisDep, current_claims
from functions.api.errors import error_responses
from functions.api.klines import kline_rows, lead_minutes_needed, minutes_needed, parse_indicator_names
from functions.api.time_range import parse_bound, parse_range
from shared.adapters import kline_cache
from shared.adapters.pg_bar_ranges import has_bars_before, start_of_latest, window_version
from shared.adapters.pg_bars import PgBarStore
from shared.domain.instruments import SYMBOL_PATTERN
from shared.errors import InvalidInput, UnknownInstrument

router = APIRouter(prefix="/market", tags=["market"], dependencies=[Depends(current_claims)])

Period = Literal["1m", "5m", "15m", "30m", "1h", "1d", "1w"]  # shared.domain.bars.PERIODS (a test keeps them equal)


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
    next_before: str | None = Field(
        default=None, description="more (older) bars exist in the range: pass this as `before` for the previous "
                                  "page; null on the first page of the range")


@router.get(
    "/klines", response_model=Klines, summary="K-line bars with indicators",
    description=(
        "Bars of `period` built from stored 1-minute bars, oldest first: the LAST `limit` bars of the range. "
        "n-minute and hour bars are aligned to each session's start (copper 1h: 21:00 ... 09:00 10:00 11:00 "
        "13:30 14:30; 11:00 holds 11:00-11:29), daily bars are by trading day (the night session of the "
        "evening before included), weekly bars by the ISO week of the trading day. Indicators are computed "
        "over the range and each indicator's fixed warm-up of bars before it, then cut, so their values do "
        "not depend on the range asked for (null only where the stored history is too short). "
        "`start`/`end` (inclusive) take an ISO date, meaning a trading day, or an ISO datetime "
        "(Asia/Shanghai when it has no offset). Paging: `before` (an ISO datetime, usually the previous "
        "page's `next_before`) returns the bars that start before it. Without `start` the range is the latest "
        "`limit` bars. The warm-up: the window, and for recursive indicators the bars until the seed's "
        "weight is below 1e-15 (e.g. 481 bars for RSI(14)), so values equal their full-history ones to "
        "about 1e-12; `obv` counts from the first returned bar. "
        "Answers are cached in Redis, keyed by the stored data they were built "
        "from. 404 for an unknown symbol, 400 for any bad parameter."),
    responses=error_responses(400, 401, 404, 503),
)
def get_klines(
    conn: DbDep,
    cache: RedisDep,
    symbol: Annotated[str, Query(
        pattern=SYMBOL_PATTERN, description="contract code, e.g. `cu_main`, `cu1801`")],
    period: Annotated[Period, Query(description="bar period")] = "1m",
    start: Annotated[str | None, Query(description="first trading day (`2021-01-05`) or instant")] = None,
    end: Annotated[str | None, Query(description="last trading day or instant; not before start")] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="at most this many bars, the latest of the range")] = 500,
    before: Annotated[str | None, Query(
        description="only bars starting before this instant (the previous page's `next_before`)")] = None,
    indicators: Annotated[str | None, Query(
        description=(
            "comma list of `name[.cn][:parameters]`, defaults shown: `ma:5,10,20,60` (ma5 ...), `ema:12,26` "
            "(ema12 ema26), `wma:30`, `macd:12,26,9` (macd macd_signal macd_hist), `rsi:14` (rsi14), `boll:20,2` "
            "(boll_upper boll_middle boll_lower), `atr:14`, `kdj:9,3,3` (kdj_k kdj_d kdj_j), `cci:14`, `obv`, "
            "`adx:14`. TA-Lib's values and warm-up (null). `.cn` on ema, macd, rsi (default 6,12,24) and kdj: "
            "the Chinese charting convention (EMAs seeded with the first close, MACD bar 2x, SMA-smoothed RSI "
            "and KDJ), keys ending in `_cn`. Unknown names or bad parameters: 400."),
        examples=["ma:5,20,macd,rsi:6", "boll:20,2,kdj.cn"])] = None,
) -> Response:
    bar_range = parse_range(start, end)
    cursor = _parse_before(before)
    names = parse_indicator_names(indicators)
    store = PgBarStore(conn)
    if not store.has_instrument(symbol):
        raise UnknownInstrument(symbol)
    lo, hi = bar_range.fetch_window()
    if cursor is not None:
        last = cursor - timedelta(microseconds=1)
        hi = last if hi is None else min(hi, last)
    if lo is None:
        # no start: the range is recent history long enough for limit bars plus their warm-up
        lo = start_of_latest(conn, symbol, minutes_needed(period, limit, names), hi)
    elif lead := lead_minutes_needed(period, names):
        # a start: the indicators' warm-up comes from the bars before it, so values do not depend on the range
        lo = start_of_latest(conn, symbol, lead, lo - timedelta(microseconds=1))
    query = {"period": period, "start": start, "end": end, "limit": limit, "before": before, "indicators": names}
    key = kline_cache.cache_key(symbol, query, window_version(conn, symbol, lo, hi))
    cached = kline_cache.get(cache, key)
    if cached is not None:
        return Response(cached, media_type="application/json")
    fetched = store.minute_bars(symbol, lo, hi)
    inside = bar_range.mask(fetched)
    minute = fetched[inside]
    lead_bars = fetched[~inside & (fetched["ts"] < minute["ts"].iloc[0])] if len(minute) else None
    rows = kline_rows(minute, period, names, limit, symbol, lead=lead_bars)
    next_before = None
    if rows:
        first = datetime.fromisoformat(rows[0]["ts"])
        range_start = bar_range.start
        if has_bars_before(conn, symbol, first, range_start.instant if range_start else None,
                           range_start.day if range_start else None):
            next_before = rows[0]["ts"]
    # encoded once, by hand: validating 5000 rows through the response model cost more than the query
    text = json.dumps({"symbol": symbol, "period": period, "bars": rows, "next_before": next_before},
                      separators=(",", ":"))
    kline_cache.put(cache, key, text)
    return Response(text, media_type="application/json")


def _parse_before(text: str | None) -> datetime | None:
    bound = parse_bound(text, "before")
    if bound is None:
        return None
    if bound.instant is None:
        raise InvalidInput(f"before {text!r} must be an ISO datetime such as 2021-01-05T09:30:00+08:00",
                           [{"field": "query.before", "message": "expected an ISO datetime"}])
    return bound.instant
