"""Indicators on 1,000,000 bars: ours (numba) against TA-Lib and the seed's pandas formulation.

Prices: the bundled real copper 1-minute bars (123,855) tiled to 1,000,000. Every
candidate runs once to warm up (JIT compile or load from cache), then the
candidates take turns, ``ROUNDS`` times (rotating who goes first), and each keeps
its fastest time: other processes on the machine slow single runs down, never
speed them up, so the minimum of interleaved runs compares like with like. Each
candidate keeps all its outputs alive until it returns, as a caller would. Ratios are ours / theirs
(below 1.0: ours is faster).

The pandas formulation is the one in ``shared/seed/backend-architecture.zh.md``:
``rolling(n).mean()`` MAs, ``ewm(span=n).mean()`` MACD (pandas' default
``adjust=True``), RSI from rolling means of gains and losses, and the Bollinger
bands charting tools draw from ``rolling(20).std()`` (pandas' ddof=1).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import talib

import shared.indicators as ind
from shared.indicators import compute_indicators

BARS = 1_000_000
ROUNDS = 15
DATA = Path(__file__).parents[1] / "data" / "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"
SET = ["ma:5,10,20,60", "ema:12,26", "macd", "rsi", "boll", "atr"]


def prices(n: int = BARS) -> dict[str, np.ndarray]:
    frame = pd.read_csv(DATA, usecols=["high", "low", "close", "volume"])
    return {k: np.resize(frame[k].to_numpy(np.float64), n) for k in ("high", "low", "close", "volume")}


# ---- the seed's pandas formulation ------------------------------------------------------------
def pandas_ma(close: pd.Series, period: int) -> pd.Series:
    return close.rolling(period).mean()


def pandas_ema(close: pd.Series, period: int) -> pd.Series:
    return close.ewm(span=period).mean()


def pandas_macd(close: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    line = close.ewm(span=12).mean() - close.ewm(span=26).mean()
    signal = line.ewm(span=9).mean()
    return line, signal, line - signal


def pandas_rsi(close: pd.Series, period: int = 14) -> pd.Series:
    delta = close.diff()
    gain = delta.where(delta > 0, 0).rolling(period).mean()
    loss = (-delta.where(delta < 0, 0)).rolling(period).mean()
    return 100 - (100 / (1 + gain / loss))


def pandas_boll(close: pd.Series, period: int = 20, width: float = 2.0) -> tuple[pd.Series, pd.Series, pd.Series]:
    middle = close.rolling(period).mean()
    std = close.rolling(period).std()
    return middle + width * std, middle, middle - width * std


def pandas_set(close: pd.Series) -> list[object]:
    # every candidate keeps all its outputs alive until it returns, as a caller would
    return [*(pandas_ma(close, period) for period in (5, 10, 20, 60)), pandas_ema(close, 12),
            pandas_ema(close, 26), pandas_macd(close), pandas_rsi(close), pandas_boll(close)]


# ---- timing ----------------------------------------------------------------------------------
def fastest(candidates: dict[str, Callable[[], object] | None], rounds: int = ROUNDS) -> dict[str, float]:
    """Best wall time (ms) of each candidate over interleaved rounds (None: not measured)."""
    live = {k: f for k, f in candidates.items() if f is not None}
    for f in live.values():
        f()
    best = {k: float("inf") for k in live}
    names = list(live)
    for r in range(rounds):
        # rotate who goes first: the run after pandas' big frees pays page faults for fresh memory
        for name in names[r % len(names):] + names[:r % len(names)]:
            started = time.perf_counter()
            live[name]()
            best[name] = min(best[name], time.perf_counter() - started)
    return {k: best[k] * 1e3 if k in best else float("nan") for k in candidates}


def rows(p: dict[str, np.ndarray]) -> list[tuple[str, Callable, Callable, Callable | None]]:
    h, lo, c, v = p["high"], p["low"], p["close"], p["volume"]
    s = pd.Series(c)
    return [
        ("SMA(20)", lambda: ind.sma(c, 20), lambda: talib.SMA(c, 20), lambda: pandas_ma(s, 20)),
        ("EMA(26)", lambda: ind.ema(c, 26), lambda: talib.EMA(c, 26), lambda: pandas_ema(s, 26)),
        ("WMA(30)", lambda: ind.wma(c, 30), lambda: talib.WMA(c, 30), None),
        ("MACD(12,26,9)", lambda: ind.macd(c), lambda: talib.MACD(c), lambda: pandas_macd(s)),
        ("RSI(14)", lambda: ind.rsi(c), lambda: talib.RSI(c), lambda: pandas_rsi(s)),
        ("BBANDS(20,2)", lambda: ind.bbands(c), lambda: talib.BBANDS(c), lambda: pandas_boll(s)),
        ("ATR(14)", lambda: ind.atr(h, lo, c), lambda: talib.ATR(h, lo, c), None),
        ("STOCH(5,3,3)", lambda: ind.stoch(h, lo, c), lambda: talib.STOCH(h, lo, c), None),
        ("KDJ cn(9,3,3)", lambda: ind.kdj_cn(h, lo, c), lambda: talib.STOCH(h, lo, c, 9, 3, 0, 3, 0), None),
        ("CCI(14)", lambda: ind.cci(h, lo, c), lambda: talib.CCI(h, lo, c), None),
        ("OBV", lambda: ind.obv(c, v), lambda: talib.OBV(c, v), None),
        ("ADX(14)", lambda: ind.adx(h, lo, c), lambda: talib.ADX(h, lo, c), None),
    ]


def talib_set(p: dict[str, np.ndarray]) -> list[object]:
    c = p["close"]
    return [*(talib.SMA(c, period) for period in (5, 10, 20, 60)), talib.EMA(c, 12), talib.EMA(c, 26),
            talib.MACD(c), talib.RSI(c), talib.BBANDS(c), talib.ATR(p["high"], p["low"], c)]


def pandas_differences(p: dict[str, np.ndarray]) -> list[tuple[str, float, float, int]]:
    """(name, max |pandas - TA-Lib| in the first 1,000 bars, after them, bars differing by > 1e-9)."""
    c = p["close"][:100_000]
    s = pd.Series(c)
    pairs = [("MA(20)", pandas_ma(s, 20), talib.SMA(c, 20)),
             ("EMA(26)", pandas_ema(s, 26), talib.EMA(c, 26)),
             ("MACD line", pandas_macd(s)[0], talib.MACD(c)[0]),
             ("MACD signal", pandas_macd(s)[1], talib.MACD(c)[1]),
             ("RSI(14)", pandas_rsi(s), talib.RSI(c)),
             ("BOLL upper", pandas_boll(s)[0], talib.BBANDS(c)[0])]
    out = []
    for name, theirs, reference in pairs:
        diff = np.abs(np.asarray(theirs, dtype=np.float64) - reference)
        both = ~np.isnan(reference)
        extra = int(np.sum(np.isnan(reference) != np.isnan(np.asarray(theirs, dtype=np.float64))))
        head = np.nanmax(diff[:1000][both[:1000]]) if both[:1000].any() else float("nan")
        tail = np.nanmax(diff[1000:][both[1000:]])
        out.append((name, float(head), float(tail), int(np.sum(diff[both] > 1e-9)) + extra))
    return out


def run() -> None:
    p = prices()
    s = pd.Series(p["close"])
    print(f"{BARS:,} bars (copper closes tiled), best of {ROUNDS} interleaved runs, ms; ratio = ours / theirs")
    print(f"{'indicator':16}{'ours':>8}{'TA-Lib':>8}{'pandas':>9}{'vs TA-Lib':>11}{'vs pandas':>11}")
    for name, ours, theirs, pandas_f in rows(p):
        t = fastest({"ours": ours, "talib": theirs, "pandas": pandas_f})
        vs_pandas = f"{t['ours'] / t['pandas']:.2f}x" if pandas_f else "-"
        pandas_ms = f"{t['pandas']:.2f}" if pandas_f else "-"
        print(f"{name:16}{t['ours']:8.2f}{t['talib']:8.2f}{pandas_ms:>9}{t['ours'] / t['talib']:10.2f}x{vs_pandas:>11}")
    t = fastest({"ours": lambda: compute_indicators(SET, p), "talib": lambda: talib_set(p),
                 "pandas": lambda: pandas_set(s)})
    print(f"{'whole set':16}{t['ours']:8.2f}{t['talib']:8.2f}{t['pandas']:9.2f}{t['ours'] / t['talib']:10.2f}x"
          f"{t['ours'] / t['pandas']:10.2f}x")
    print("   whole set = SMA(5,10,20,60) EMA(12,26) MACD RSI BBANDS(20,2) ATR, computed together "
          f"(compute_indicators({','.join(SET)!r}))")
    print("   goals: whole set <= 1.0x TA-Lib; no single indicator above 1.3x")
    print("\npandas formulation vs TA-Lib on the first 100,000 bars (max |difference|):")
    print(f"{'':14}{'bars 0-999':>12}{'after':>12}{'bars off by >1e-9':>20}")
    for name, head, tail, count in pandas_differences(p):
        print(f"{name:14}{head:12.4g}{tail:12.4g}{count:20,}")
    print("   ewm(span) with adjust=True weighs the start differently from TA-Lib's SMA-seeded EMA (fades "
          "out); rolling-mean RSI is not Wilder's (differs everywhere); std(ddof=1) widens every band")
