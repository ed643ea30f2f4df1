"""Plan: validate the spec, stage its bars in S3 once, split the grid into worker shards.

Input {"backtest_id", "spec", "execution_arn"?}; output {"backtest_id", "bars_key", "shards": [...]}.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import psycopg

from functions.backtest import runtime
from shared.adapters.pg_backtests import instrument_multiplier, set_running, set_total
from shared.adapters.pg_bars import PgBarStore
from shared.adapters.s3_bars import bars_key, stage_bars
from shared.backtest.bars import BarArrays
from shared.backtest.spec import BacktestSpec
from shared.backtest.sweep import shards
from shared.errors import InvalidInput, UnknownInstrument

SHANGHAI = ZoneInfo("Asia/Shanghai")
# a trading day's night session starts on an earlier calendar day (Friday evening for Monday;
# none precedes a holiday), so read from a week earlier and keep the bars by trading day
NIGHT_LOOKBACK = timedelta(days=7)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    backtest_id = str(event["backtest_id"])
    spec = BacktestSpec.parse(event["spec"])
    conn = runtime.db()
    if event.get("execution_arn"):
        set_running(conn, backtest_id, event["execution_arn"])

    multiplier = instrument_multiplier(conn, spec.symbol)
    if multiplier is None:
        raise UnknownInstrument(spec.symbol)
    spec = spec.model_copy(update={"size": spec.size or multiplier})

    frame = _minute_bars(conn, spec.symbol, spec.start, spec.end)
    if frame.empty:
        raise InvalidInput(f"no 1-minute bars for {spec.symbol} on trading days {spec.start}..{spec.end}",
                           {"symbol": spec.symbol, "start": str(spec.start), "end": str(spec.end)})
    key = bars_key(backtest_id)
    stage_bars(runtime.s3(), runtime.settings().backtest_bucket, key, BarArrays.from_frame(frame))

    combinations = spec.combinations()
    set_total(conn, backtest_id, len(combinations))
    spec_json = spec.model_dump(mode="json")
    return {
        "backtest_id": backtest_id,
        "bars_key": key,
        "shards": [{"backtest_id": backtest_id, "bars_key": key, "shard": i, "spec": spec_json, "params": params}
                   for i, params in enumerate(shards(combinations))],
    }


def _minute_bars(conn: psycopg.Connection, symbol: str, start: date, end: date) -> pd.DataFrame:
    """Bars whose trading day is in start..end, oldest first."""
    frame = PgBarStore(conn).minute_bars(
        symbol,
        datetime.combine(start - NIGHT_LOOKBACK, time(0), SHANGHAI),
        datetime.combine(end + timedelta(days=1), time(0), SHANGHAI),
    )
    if frame.empty:
        return frame
    days = pd.to_datetime(frame["trading_day"])
    return frame[(days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))].reset_index(drop=True)
