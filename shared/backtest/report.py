"""One ranked result in detail: its trades and its daily equity, rerun from the staged bars.

A sweep stores statistics only (10,000 trade lists would be large and mostly unread); the
engine is deterministic, so the detail of any ranked result is recomputed on demand.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from shared.backtest.bars import BarArrays
from shared.backtest.engine import CLOSE, CLOSE_TODAY
from shared.backtest.spec import BacktestSpec
from shared.backtest.statistics import daily, statistics
from shared.backtest.sweep import run_one

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFSETS = {0: "open", CLOSE: "close", CLOSE_TODAY: "close_today"}


def _day(label: int) -> str:
    return f"{label // 10000:04d}-{label // 100 % 100:02d}-{label % 100:02d}"


def detail(bars: BarArrays, spec: BacktestSpec, params: dict[str, Any]) -> dict[str, Any]:
    """{"params", "statistics", "trades": [...], "daily": [...]} of one parameter set."""
    result = run_one(bars, spec, params)
    costs = spec.costs()
    days = daily(result, bars.trading_day, costs.size, costs.capital)
    t = result.trades
    trades = [{
        "ts": datetime.fromtimestamp(int(bars.ts[b]) / 1e9, timezone.utc).astimezone(SHANGHAI).isoformat(),
        "trading_day": _day(int(bars.trading_day[b])), "direction": "long" if d > 0 else "short",
        "offset": OFFSETS[int(o)], "price": float(p), "volume": int(v), "commission": float(c), "slippage": float(s),
    } for b, d, o, p, v, c, s in zip(t.bar, t.direction, t.offset, t.price, t.volume, t.commission, t.slippage,
                                     strict=True)]
    peak = np.maximum.accumulate(days.balance) if len(days.balance) else days.balance
    rows = [{"trading_day": _day(int(d)), "net_pnl": float(p), "balance": float(b), "drawdown": float(b - h),
             "commission": float(c), "trade_count": int(n)}
            for d, p, b, h, c, n in zip(days.day, days.net_pnl, days.balance, peak, days.commission,
                                        days.trade_count, strict=True)]
    return {"params": params, "statistics": statistics(days, costs.capital, t, costs.size),
            "trades": trades, "daily": rows}
