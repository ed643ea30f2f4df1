"""Backtests: ours (numba, full order semantics, costs, daily settlement, statistics) against a
bare numba loop, vectorbt ``Portfolio.from_signals`` and vn.py's ``BacktestingEngine``.

Bars: the bundled real copper 1-minute bars tiled to the size wanted, 225 bars per trading
day. Dual MA 10/30, one lot, size 5, commission 0.0001, vn.py's fill rules (limit at the
signal bar's close, matched on the next bar). Each fast candidate runs once to warm up (JIT
compile or cache load), then the candidates take turns ``ROUNDS`` times, each keeping its
fastest time. vn.py runs once (it takes seconds); its bar objects are built outside its timing.

Sweep: 100 dual-MA combinations on 100,000 bars, as combinations x bars per second: one process,
then two worker processes (a warm pool, as warm Lambda containers are), and vectorbt given the
whole grid as 100 signal columns in one call. Each process computes an SMA window once for its
combinations, as a worker does for its shard (``shared.backtest.sweep.run_shard``).

Worker cold start: a new Python process imports the worker handler's modules and runs one
dual-MA combination over the whole copper sample (read from a local npz, S3 left out), with the
numba cache empty (every kernel compiles) and with the cache ``functions.backtest.warm``
prepares when the image is built, copied in by ``functions.numba_cache`` as on Lambda.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from shared.backtest.engine import Costs
from shared.backtest import runner
from shared.backtest.statistics import daily, statistics
from shared.indicators.moving_averages import sma

DATA = Path(__file__).parents[1] / "data" / "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"
BARS = 1_000_000
SWEEP_BARS = 100_000
ROUNDS = 7
FAST, SLOW = 10, 30
COSTS = Costs(size=5, price_tick=10, commission_rate=0.0001, capital=10_000_000)
GRID = [(f, s) for f in (3, 5, 8, 10, 13, 15, 20, 25, 30, 40) for s in (45, 50, 60, 70, 80, 90, 100, 120, 150, 200)]


def bars(n: int) -> dict[str, np.ndarray]:
    frame = pd.read_csv(DATA, usecols=["open", "high", "low", "close"])
    out = {k: np.resize(frame[k].to_numpy(np.float64), n) for k in ("open", "high", "low", "close")}
    days = np.datetime64("2000-01-03") + (np.arange(n) // 225).astype("timedelta64[D]")
    # YYYYMMDD as int32, as bars are staged for the workers (shared.backtest.bars)
    out["trading_day"] = (pd.DatetimeIndex(days).strftime("%Y%m%d").astype(int)).to_numpy(np.int32)
    out["ts"] = pd.Timestamp("2000-01-03 09:00", tz="Asia/Shanghai") + pd.to_timedelta(np.arange(n), unit="min")
    return out


def ours(b: dict[str, np.ndarray], fast: int = FAST, slow: int = SLOW, memo: dict | None = None) -> dict[str, Any]:
    result = runner.run("dual_ma", {"fast": fast, "slow": slow}, b["open"], b["high"], b["low"], b["close"],
                        b["trading_day"], COSTS, memo=memo)
    stats = statistics(daily(result, b["trading_day"], COSTS.size, COSTS.capital), COSTS.capital,
                       result.trades, COSTS.size)
    return {"trades": len(result.trades), "end": stats["end_balance"]}


@njit(cache=True)
def _bare(open_, high, low, close, fast_ma, slow_ma, slow, size):
    # the same fill rule with nothing else: position, fills, PnL at the close
    pos, pending, price, pnl, trades = 0, 0, 0.0, 0.0, 0
    for i in range(1, close.shape[0]):
        pnl += pos * (close[i] - close[i - 1]) * size
        if pending != 0:
            fill = min(price, open_[i]) if pending > 0 else max(price, open_[i])
            if (pending > 0 and price >= low[i]) or (pending < 0 and price <= high[i]):
                lots = abs(pending)
                pos += pending
                pnl += pending * (close[i] - fill) * size
                trades += 1 if lots == 1 else 2
            pending = 0
        if i >= slow:
            if fast_ma[i] > slow_ma[i] and fast_ma[i - 1] < slow_ma[i - 1]:
                pending, price = 1 - pos, close[i]
            elif fast_ma[i] < slow_ma[i] and fast_ma[i - 1] > slow_ma[i - 1]:
                pending, price = -1 - pos, close[i]
    return trades, pnl


def bare(b: dict[str, np.ndarray]) -> dict[str, Any]:
    trades, _ = _bare(b["open"], b["high"], b["low"], b["close"], sma(b["close"], FAST), sma(b["close"], SLOW),
                      SLOW, COSTS.size)
    return {"trades": trades}


def crosses(close: np.ndarray, fast: int, slow: int) -> tuple[np.ndarray, np.ndarray]:
    f, s = sma(close, fast), sma(close, slow)
    up = np.zeros(len(close), bool)
    down = np.zeros(len(close), bool)
    up[1:] = (f[1:] > s[1:]) & (f[:-1] < s[:-1])
    down[1:] = (f[1:] < s[1:]) & (f[:-1] > s[:-1])
    return up, down


def vectorbt_run(b: dict[str, np.ndarray], grid: list[tuple[int, int]] | None = None) -> dict[str, Any]:
    """Signals on the close, orders at the next bar's open (vectorbt has no limit-at-close
    orders for from_signals, so its fills are market-at-open: timing, not trades, compared),
    then the statistics ours reports (not ``records_readable``, which alone costs 9x)."""
    import vectorbt as vbt

    pairs = grid or [(FAST, SLOW)]
    ups, downs = zip(*(crosses(b["close"], f, s) for f, s in pairs), strict=True)
    up, down = np.column_stack(ups), np.column_stack(downs)
    # shift by one bar: decided on bar i's close, executed at bar i+1's open
    up = np.vstack((np.zeros((1, up.shape[1]), bool), up[:-1]))
    down = np.vstack((np.zeros((1, down.shape[1]), bool), down[:-1]))
    pf = vbt.Portfolio.from_signals(b["close"].reshape(-1, 1), entries=up, exits=down, short_entries=down,
                                    short_exits=up, price=b["open"].reshape(-1, 1), size=COSTS.size, fees=COSTS.commission_rate,
                                    init_cash=COSTS.capital, freq="1min")
    trades = pf.trades
    return {"trades": int(np.sum(pf.orders.count())), "return": pf.total_return(), "sharpe": pf.sharpe_ratio(),
            "max_drawdown": pf.max_drawdown(), "closed": trades.count(), "win_rate": trades.win_rate(),
            "profit_factor": trades.profit_factor()}


def vnpy_run(b: dict[str, np.ndarray]) -> tuple[float, int]:
    """Seconds for run_backtesting + calculate_result + calculate_statistics, and the trade count."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = tempfile.mkdtemp()
    Path(home, ".vntrader").mkdir()
    cwd = os.getcwd()
    os.chdir(home)  # vn.py writes to ./.vntrader when it exists
    try:
        from vnpy.trader.constant import Exchange, Interval
        from vnpy.trader.object import BarData
        from vnpy.trader.utility import ArrayManager
        from vnpy_ctastrategy.backtesting import BacktestingEngine
        from vnpy_ctastrategy.strategies.double_ma_strategy import DoubleMaStrategy

        class Sized(DoubleMaStrategy):
            def on_init(self) -> None:
                self.am = ArrayManager(SLOW + 1)

        ts = b["ts"].to_pydatetime()
        history = [BarData(symbol="cu_main", exchange=Exchange.SHFE, datetime=t, interval=Interval.MINUTE,
                           open_price=o, high_price=h, low_price=lo, close_price=c, gateway_name="DB")
                   for t, o, h, lo, c in zip(ts, b["open"], b["high"], b["low"], b["close"], strict=True)]
        engine = BacktestingEngine()
        engine.output = lambda msg: None
        engine.set_parameters(vt_symbol="cu_main.SHFE", interval=Interval.MINUTE, start=ts[0], end=ts[-1],
                              rate=COSTS.commission_rate, slippage=0.0, size=COSTS.size,
                              pricetick=COSTS.price_tick, capital=int(COSTS.capital))
        engine.add_strategy(Sized, {"fast_window": FAST, "slow_window": SLOW})
        engine.history_data = history
        started = time.perf_counter()
        engine.run_backtesting()
        engine.calculate_result()
        engine.calculate_statistics(output=False)
        return time.perf_counter() - started, len(engine.trades)
    finally:
        os.chdir(cwd)


def best_of(candidates: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    for fn in candidates.values():
        fn()
    best = dict.fromkeys(candidates, float("inf"))
    for _ in range(rounds):
        for name, fn in candidates.items():
            started = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


_sweep_bars: dict[str, np.ndarray] = {}


def _sweep_chunk(pairs: list[tuple[int, int]]) -> int:
    memo: dict = {}  # as a worker's shard: each SMA window computed once (shared.backtest.sweep.run_shard)
    return sum(ours(_sweep_bars, f, s, memo)["trades"] for f, s in pairs)


def sweep(b: dict[str, np.ndarray]) -> None:
    global _sweep_bars
    _sweep_bars = b
    work = len(GRID) * len(b["close"])
    one = best_of({"one": lambda: _sweep_chunk(GRID)}, 3)["one"]
    halves = [GRID[0::2], GRID[1::2]]
    with ProcessPoolExecutor(2) as pool:  # forked after the warm-up: the children are warm too
        list(pool.map(_sweep_chunk, halves))
        two = best_of({"two": lambda: sum(pool.map(_sweep_chunk, halves))}, 3)["two"]
    vbt = best_of({"vectorbt": lambda: vectorbt_run(b, GRID)}, 1)["vectorbt"]
    print(f"\n  sweep: {len(GRID)} dual-MA combinations x {len(b['close']):,} bars (combinations x bars / s)")
    print(f"  {'ours, 1 process':<22}{one * 1000:>10.1f} ms {work / one / 1e6:>10.1f} M")
    print(f"  {'ours, 2 processes':<22}{two * 1000:>10.1f} ms {work / two / 1e6:>10.1f} M   "
          f"x{one / two:.2f} vs 1 process (goal >= 1.5)")
    print(f"  {'vectorbt (100 cols)':<22}{vbt * 1000:>10.1f} ms {work / vbt / 1e6:>10.1f} M   "
          f"ours (2 processes) {vbt / two:.0f}x faster (goal >= 100x)")


# The image installs the runtime dependencies only: no scipy (vectorbt, a bench dependency, brings it
# here), which numba imports at its first compile to look for BLAS (about 0.2 s). This hides it.
WITHOUT_SCIPY = """
import sys
class _NoScipy:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "scipy":
            raise ImportError("scipy is not in the Lambda image")
sys.meta_path.insert(0, _NoScipy())
"""

COLD_START = """
import json, time
started = time.perf_counter()
import numpy as np
from functions.backtest.worker import handler
from shared.backtest.bars import COLUMNS, BarArrays
from shared.backtest.spec import BacktestSpec
from shared.backtest.sweep import run_shard
imported = time.perf_counter()
with np.load({bars!r}) as npz:
    bars = BarArrays(**{{name: npz[name] for name in COLUMNS}})
spec = BacktestSpec.parse({{"symbol": "cu_main", "start": "2021-01-04", "end": "2022-02-17", "strategy": "dual_ma",
                            "grid": {{"fast": [10], "slow": [30]}}, "size": 5.0, "price_tick": 10.0}})
(result,) = run_shard(bars, spec, spec.combinations())
done = time.perf_counter()
print(json.dumps({{"import_s": imported - started, "first_s": done - imported, "trades": result["trade_count"]}}))
"""


def _cold_process(script: str, env: dict[str, str]) -> dict[str, float]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[1])
    measures = json.loads(out.stdout.strip().splitlines()[-1])
    return measures | {"process_s": time.perf_counter() - started}


def cold_start(runs: int = 5) -> None:
    from shared.backtest.bars import BarArrays

    frame = pd.read_csv(DATA, dtype={"trading_day": str})
    frame["ts"] = pd.to_datetime(frame["datetime"]).dt.tz_localize("Asia/Shanghai")
    frame["trading_day"] = pd.to_datetime(frame["trading_day"], format="%Y%m%d")
    with tempfile.TemporaryDirectory() as tmp:
        npz = str(Path(tmp, "bars.npz"))
        np.savez_compressed(npz, **BarArrays.from_frame(frame).arrays())
        script = COLD_START.format(bars=npz)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "QC_NUMBA"))}
        base |= {"NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": ""}  # as functions/Dockerfile pins
        seed = str(Path(tmp, "image-cache"))
        subprocess.run([sys.executable, "-m", "functions.backtest.warm"], env=base | {"NUMBA_CACHE_DIR": seed},
                       check=True, capture_output=True, cwd=Path(__file__).parents[1])
        rows: dict[str, list[dict[str, float]]] = {
            "no numba cache": [], "image's cache, this venv": [], "image's cache and packages": []}
        for k in range(runs):
            rows["no numba cache"].append(_cold_process(script, base | {"NUMBA_CACHE_DIR": f"{tmp}/empty{k}"}))
            rows["image's cache, this venv"].append(_cold_process(
                script, base | {"NUMBA_CACHE_DIR": f"{tmp}/venv{k}", "QC_NUMBA_CACHE_SEED": seed}))
            rows["image's cache and packages"].append(_cold_process(
                WITHOUT_SCIPY + script, base | {"NUMBA_CACHE_DIR": f"{tmp}/image{k}", "QC_NUMBA_CACHE_SEED": seed}))
    print(f"\n  worker cold start: new process, import the worker, one dual-MA run on {len(frame):,} bars "
          f"(median of {runs})")
    print(f"  {'':<28}{'import':>9} {'1st backtest':>13} {'whole process':>14}")
    for name, measured in rows.items():
        med = {key: float(np.median([m[key] for m in measured])) for key in ("import_s", "first_s", "process_s")}
        print(f"  {name:<28}{med['import_s'] * 1000:>7.0f} ms {med['first_s'] * 1000:>10.0f} ms "
              f"{med['process_s'] * 1000:>11.0f} ms")
    print("  (\"this venv\" has scipy, which the image lacks: numba's first compile imports it looking for BLAS)")
    print("  goal: import plus first backtest under 1 s with the image's cache")


def run() -> None:
    b = bars(BARS)
    times = best_of({"ours": lambda: ours(b), "bare numba loop": lambda: bare(b),
                     "vectorbt with statistics": lambda: vectorbt_run(b)}, ROUNDS)
    agree = ours(b)["trades"] == bare(b)["trades"]
    vn_s, vn_trades = vnpy_run(b)
    times["vn.py BacktestingEngine"] = vn_s
    print(f"  dual MA {FAST}/{SLOW} on {BARS:,} bars: full semantics, costs, daily settlement and statistics")
    print(f"  {'':<26}{'time':>10} {'bars/s':>12}   theirs / ours (above 1: ours is faster)")
    for name, seconds in times.items():
        ratio = "" if name == "ours" else f"  {seconds / times['ours']:>8.1f}"
        print(f"  {name:<26}{seconds * 1000:>8.1f} ms {BARS / seconds / 1e6:>10.1f} M {ratio}")
    print(f"  trades: ours {ours(b)['trades']}, bare loop {'same' if agree else 'DIFFERENT'}, "
          f"vn.py {'same' if vn_trades == ours(b)['trades'] else vn_trades}")
    print(f"  goals: <= 50 ms and within 2x of the bare loop; >= 10x vectorbt; >= 500x vn.py")
    sweep(bars(SWEEP_BARS))
    cold_start()
