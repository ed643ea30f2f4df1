import numpy as np

from shared.backtest.bars import BarArrays
from shared.backtest.spec import BacktestSpec
from shared.backtest.sweep import evaluate, rank, run_shard, shards


def result(fast: int, slow: int, sharpe: float, total_return: float = 0.0, end_balance: float = 1.0) -> dict:
    return {"params": {"fast": fast, "slow": slow}, "sharpe": sharpe, "total_return": total_return,
            "max_drawdown": 0.0, "trade_count": 0, "end_balance": end_balance}


def test_shards_of_eight() -> None:
    combos = [{"fast": 1, "slow": s} for s in range(2, 22)]  # 20
    assert [len(s) for s in shards(combos, 8)] == [8, 8, 4]
    assert [c for s in shards(combos, 8) for c in s] == combos


def test_rank_best_sharpe_first_ties_by_return() -> None:
    ranked = rank([result(1, 5, 0.5), result(2, 5, 1.5, 0.01), result(3, 5, 1.5, 0.02), result(4, 5, -2.0)])
    assert [r["params"]["fast"] for r in ranked["results"]] == [3, 2, 1, 4]
    assert ranked["best"] == result(3, 5, 1.5, 0.02)


def test_a_bust_run_ranks_last_whatever_its_sharpe() -> None:
    ranked = rank([result(1, 5, -1.0), result(2, 5, 0.0, -1.0, end_balance=-5.0)])
    assert [r["params"]["fast"] for r in ranked["results"]] == [1, 2]


def test_run_shard_uses_spec_costs_and_size() -> None:
    # the 8 bars of test_backtest_engine with bar 7 opening at 10.5: bought 1 lot at 10.5, closes at 12
    close = np.array([10.0, 10, 10, 9, 8, 9, 11, 12])
    open_ = np.array([10.0, 10, 10, 10, 9, 8, 9, 10.5])
    bars = BarArrays(ts=np.arange(8, dtype=np.int64), trading_day=np.full(8, 20210104, dtype=np.int32),
                     open=open_, high=np.maximum(open_, close), low=np.minimum(open_, close), close=close)
    spec = BacktestSpec.parse({"symbol": "x", "start": "2021-01-04", "end": "2021-01-04", "strategy": "dual_ma",
                               "grid": {"fast": [2], "slow": [3]}, "capital": 10_000, "commission_rate": 0.001,
                               "slippage": 0.5, "size": 10})
    (r,) = run_shard(bars, spec, spec.combinations())
    assert r["params"] == {"fast": 2, "slow": 3}
    # +15 from the price; commission 105 x 0.001 = 0.105; slippage 0.5 x 10 = 5
    np.testing.assert_allclose(r["total_return"], (15 - 0.105 - 5) / 10_000)
    assert r["trade_count"] == 1


def test_a_shard_shares_indicator_rows_without_changing_any_result() -> None:
    # every strategy's grid has windows that repeat across combinations; each result must equal its
    # own run with nothing shared
    from functions.backtest.warm import sample_bars

    bars = sample_bars(3_000)
    grids = {"dual_ma": {"fast": [5, 10], "slow": [20, 30]},
             "breakout": {"entry_window": [20, 30], "exit_window": [10, 20]},
             "bollinger": {"window": [20], "dev": [1.5, 2.0]},
             "rsi": {"window": [14], "lower": [25, 30], "upper": [70]},
             "atr_stop": {"window": [20, 40], "atr_window": [14], "multiplier": [2.0, 3.0]}}
    for strategy, grid in grids.items():
        spec = BacktestSpec.parse({"symbol": "x", "start": "2021-01-04", "end": "2021-02-26", "strategy": strategy,
                                   "grid": grid, "size": 5.0, "price_tick": 1.0, "commission_rate": 0.0001})
        shard = run_shard(bars, spec, spec.combinations())
        assert shard == [evaluate(bars, spec, p) for p in spec.combinations()], strategy
        assert sum(r["trade_count"] for r in shard) > 0
