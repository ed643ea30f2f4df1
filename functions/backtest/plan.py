"""Plan: validate the spec, stage its bars in S3 once, split the grid into worker shards.

Input {"backtest_id", "spec", "execution_arn"?}. Output (``shared.backtest.fanout.state_output``):
{"backtest_id", "bucket", "bars_key", "items_key", "map_results_prefix", "mode", "shard_count",
"total", "shards" (inline mode only)}. The shard list is always written to ``items_key`` too: the
Distributed Map reads it from there, and Reduce finds every shard's result key in it.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import psycopg

from functions.backtest import runtime
from shared.adapters.pg_backtests import instrument_terms, owner_of, set_running, set_total
from shared.adapters.pg_bars import PgBarStore
from shared.adapters.s3_bars import bars_key, snapshot_id, stage_bars
from shared.adapters.s3_results import put_json
from shared.backtest.bars import BarArrays
from shared.backtest.fanout import check_limits, items_key, make_plan, state_output
from shared.backtest.spec import BacktestSpec
from shared.errors import InvalidInput, UnknownInstrument

SHANGHAI = ZoneInfo("Asia/Shanghai")
# a trading day's night session starts on an earlier calendar day (Friday evening for Monday;
# none precedes a holiday), so read from a week earlier and keep the bars by trading day
NIGHT_LOOKBACK = timedelta(days=7)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    backtest_id = str(event["backtest_id"])
    spec = BacktestSpec.parse(event["spec"])
    conn = runtime.db()
    owner = owner_of(conn, backtest_id)
    if owner is None:
        raise InvalidInput(f"no backtest {backtest_id}", {"backtest_id": backtest_id})
    if event.get("execution_arn"):
        set_running(conn, backtest_id, event["execution_arn"])

    terms = instrument_terms(conn, spec.symbol)
    if terms is None:
        raise UnknownInstrument(spec.symbol)
    multiplier, tick = terms
    spec = spec.model_copy(update={"size": spec.size or multiplier,
                                   "price_tick": tick if spec.price_tick is None else spec.price_tick})

    frame = _minute_bars(conn, spec.symbol, spec.start, spec.end)
    if frame.empty:
        raise InvalidInput(f"no 1-minute bars for {spec.symbol} on trading days {spec.start}..{spec.end}",
                           {"symbol": spec.symbol, "start": str(spec.start), "end": str(spec.end)})
    bars = BarArrays.from_frame(frame)
    snapshot = snapshot_id(bars)
    key = bars_key(snapshot)
    bucket = runtime.settings().backtest_bucket
    stage_bars(runtime.s3(), bucket, key, bars)

    combinations = spec.combinations()
    set_total(conn, backtest_id, len(combinations))
    plan = make_plan(backtest_id, spec.model_dump(mode="json"), combinations, key, snapshot, owner)
    put_json(runtime.s3(), bucket, items_key(backtest_id), plan.items)
    output = state_output(plan, backtest_id, bucket, key, items_key(backtest_id))
    check_limits(plan, output)
    return output


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
