"""The bundled real samples, read once per test session (cleaned ticks take a couple of seconds)."""
from __future__ import annotations

import csv
import functools
import gzip
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from shared.domain.ticks import Tick, TickCleaner

SH = ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).parents[4] / "data"
COPPER = DATA / "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"
TICKS = DATA / "ticks_ctp_5_contracts_20171113.csv.gz"


@functools.cache
def real_ticks() -> tuple[tuple[Tick, ...], Counter[str]]:
    """Every row of the tick sample through one TickCleaner: (ticks, dropped reasons)."""
    cleaner = TickCleaner()
    with gzip.open(TICKS, "rt", newline="") as f:
        ticks = tuple(t for t in map(cleaner.clean, csv.DictReader(f)) if t is not None)
    return ticks, cleaner.dropped


@functools.cache
def _copper() -> pd.DataFrame:
    frame = pd.read_csv(COPPER, dtype={"trading_day": str})
    frame["ts"] = pd.to_datetime(frame["datetime"]).dt.tz_localize(SH)
    frame["trading_day"] = pd.to_datetime(frame["trading_day"], format="%Y%m%d").dt.date
    return frame


def copper() -> pd.DataFrame:
    """The copper 1-minute bars with tz-aware ts and date trading_day (a fresh copy)."""
    return _copper().copy()
