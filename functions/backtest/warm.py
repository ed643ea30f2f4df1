"""Compile every backtest kernel once, so numba's cache holds them: run when the image is built.

``python -m functions.backtest.warm`` runs each built-in strategy through the worker's own path
(``run_shard``: engine, daily settlement, statistics) and the results API's (``detail``) on
synthetic bars with the staged dtypes, which are the types numba compiles for.
"""
from __future__ import annotations

import sys
import time

import numpy as np

from shared.backtest.bars import BarArrays
from shared.backtest.report import detail
from shared.backtest.spec import BacktestSpec
from shared.backtest.sweep import run_shard

GRIDS = {
    "dual_ma": {"fast": [5], "slow": [20]},
    "breakout": {"entry_window": [20], "exit_window": [10]},
    "bollinger": {"window": [20], "dev": [2.0]},
    "rsi": {"window": [14], "lower": [30.0], "upper": [70.0]},
    "atr_stop": {"window": [20], "atr_window": [14], "multiplier": [3.0]},
}


def sample_bars(n: int = 2_000) -> BarArrays:
    """A random walk with the dtypes ``shared.adapters.s3_bars`` loads: 225 bars a trading day."""
    rng = np.random.default_rng(7)
    close = 3500.0 + np.cumsum(rng.normal(0.0, 5.0, n)).round()
    open_ = np.concatenate(([close[0]], close[:-1]))
    spread = np.abs(rng.normal(0.0, 3.0, n)).round()
    day = np.datetime64("2021-01-04") + (np.arange(n) // 225).astype("timedelta64[D]")
    return BarArrays(
        ts=(np.datetime64("2021-01-04T01:00", "ns") + np.arange(n) * np.timedelta64(60, "s")).view(np.int64),
        trading_day=np.array([int(str(d).replace("-", "")) for d in day], np.int32),
        open=open_, high=np.maximum(open_, close) + spread, low=np.minimum(open_, close) - spread, close=close)


def warm(bars: BarArrays | None = None) -> int:
    """Run every strategy once; returns the number of trades seen (a sanity check, not a result)."""
    bars = bars or sample_bars()
    trades = 0
    for strategy, grid in GRIDS.items():
        spec = BacktestSpec.parse({"symbol": "warm", "start": "2021-01-04", "end": "2021-01-31",
                                   "strategy": strategy, "grid": grid, "size": 5.0, "price_tick": 1.0})
        (params,) = spec.combinations()
        trades += sum(r["trade_count"] for r in run_shard(bars, spec, [params]))
        detail(bars, spec, params)
    return trades


if __name__ == "__main__":
    started = time.perf_counter()
    count = warm()
    print(f"numba kernels compiled and cached in {time.perf_counter() - started:.1f} s ({count} trades)")
    sys.exit(0 if count > 0 else 1)
