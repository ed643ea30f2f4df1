"""A parameter sweep: split combinations into shards, run a shard, rank all results."""
from __future__ import annotations

from typing import Any

from shared.backtest.bars import BarArrays
from shared.backtest.engine import Run
from shared.backtest.runner import run
from shared.backtest.spec import BacktestSpec
from shared.backtest.strategies import Memo
from shared.backtest.statistics import daily, statistics

SHARD_SIZE = 50  # combinations per worker invocation: ~1 ms each on the copper sample


def shards(combinations: list[dict[str, Any]], size: int = SHARD_SIZE) -> list[list[dict[str, Any]]]:
    return [combinations[i:i + size] for i in range(0, len(combinations), size)]


def run_one(bars: BarArrays, spec: BacktestSpec, params: dict[str, Any], memo: Memo | None = None) -> Run:
    return run(spec.strategy, params, bars.open, bars.high, bars.low, bars.close, bars.trading_day,
               spec.costs(), spec.lots, memo=memo)


def evaluate(bars: BarArrays, spec: BacktestSpec, params: dict[str, Any], memo: Memo | None = None) -> dict[str, Any]:
    """{"params", **statistics} of one parameter set, days settled by trading day."""
    result = run_one(bars, spec, params, memo)
    costs = spec.costs()
    days = daily(result, bars.trading_day, costs.size, costs.capital)
    return {"params": params, **statistics(days, costs.capital, result.trades, costs.size)}


def run_shard(bars: BarArrays, spec: BacktestSpec, params: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every parameter set over the same bars; indicator rows (an SMA of one window ...) are
    computed once for the shard."""
    memo: Memo = {}
    return [evaluate(bars, spec, p, memo) for p in params]


def rank(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Best Sharpe first; an account that went bust ranks after every one that did not; ties:
    higher total return, then the parameters in grid order. ``best`` is the first."""
    ordered = sorted(results, key=lambda r: (r["end_balance"] <= 0, -r["sharpe"], -r["total_return"],
                                             list(r["params"].values())))
    return {"results": ordered, "best": ordered[0] if ordered else None}
