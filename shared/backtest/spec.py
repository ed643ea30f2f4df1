"""What a user asks for: one strategy over one symbol and date range, with a parameter grid.

``BacktestSpec.parse`` turns a request body into a spec or raises ``InvalidInput``
whose details name each offending field (``grid``, ``end``, ``strategy`` ...).
"""
from __future__ import annotations

import itertools
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from shared.errors import InvalidInput

MAX_COMBINATIONS = 200


class DualMaGrid(BaseModel):
    """Moving-average windows in bars; every fast < slow pair is one combination."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fast: list[int] = Field(min_length=1)
    slow: list[int] = Field(min_length=1)

    @field_validator("fast", "slow")
    @classmethod
    def _positive_unique_sorted(cls, windows: list[int]) -> list[int]:
        if any(w < 1 for w in windows):
            raise ValueError("windows are numbers of bars and must be >= 1")
        return sorted(set(windows))

    def pairs(self) -> list[tuple[int, int]]:
        # fast >= slow is no crossover strategy: such pairs are skipped, not errors
        return [(f, s) for f, s in itertools.product(self.fast, self.slow) if f < s]


class BacktestSpec(BaseModel):
    """A dual moving-average backtest over ``symbol``'s 1-minute bars, trading days ``start``..``end``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str = Field(min_length=1, max_length=32)
    start: date
    end: date
    strategy: Literal["dual_ma"]
    grid: DualMaGrid
    capital: float = Field(default=1_000_000.0, gt=0)
    commission_rate: float = Field(default=0.0001, ge=0, lt=1)  # fraction of turnover
    slippage: float = Field(default=0.0, ge=0)  # price units per lot and fill
    size: float | None = Field(default=None, gt=0)  # contract multiplier; None: from instruments, else 1

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError(f"end {end} is before start {start}")
        return end

    @field_validator("grid")
    @classmethod
    def _grid_size(cls, grid: DualMaGrid) -> DualMaGrid:
        n = len(grid.pairs())
        if n == 0:
            raise ValueError("no combination with fast < slow: every pair would be skipped")
        if n > MAX_COMBINATIONS:
            raise ValueError(f"{n} combinations with fast < slow; at most {MAX_COMBINATIONS} are allowed")
        return grid

    def combinations(self) -> list[dict[str, int]]:
        """The parameter sets to run, fast < slow only, in grid order."""
        return [{"fast": f, "slow": s} for f, s in self.grid.pairs()]

    @classmethod
    def parse(cls, data: Any) -> BacktestSpec:
        """Validate a request body; ``InvalidInput`` lists ``{"field", "message"}`` per problem."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = [
                {"field": ".".join(str(p) for p in err["loc"]) or "spec", "message": err["msg"]}
                for err in exc.errors()
            ]
            text = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
            raise InvalidInput(f"invalid backtest spec: {text}", problems) from exc
