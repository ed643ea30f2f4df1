"""Minute bars as flat numpy arrays: the engine's input and the S3 staging format."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # only the plan builds bars from a frame: workers start without pandas
    import pandas as pd

COLUMNS = ("ts", "trading_day", "open", "high", "low", "close")


@dataclass(frozen=True, slots=True)
class BarArrays:
    """Bars oldest first. ``ts``: bar start, epoch nanoseconds (UTC);
    ``trading_day``: YYYYMMDD as an int (a night bar carries the next trading day)."""

    ts: np.ndarray  # int64
    trading_day: np.ndarray  # int32
    open: np.ndarray  # float64
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray

    def __len__(self) -> int:
        return len(self.ts)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> BarArrays:
        """From a frame with columns ts (tz-aware), trading_day (date or datetime), open..close."""
        import pandas as pd

        ts = pd.to_datetime(frame["ts"], utc=True)
        day = pd.to_datetime(frame["trading_day"])
        return cls(
            ts=ts.to_numpy(dtype="datetime64[ns]").view(np.int64).copy(),
            trading_day=(day.dt.year * 10000 + day.dt.month * 100 + day.dt.day).to_numpy(np.int32),
            open=frame["open"].to_numpy(np.float64),
            high=frame["high"].to_numpy(np.float64),
            low=frame["low"].to_numpy(np.float64),
            close=frame["close"].to_numpy(np.float64),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in COLUMNS}
