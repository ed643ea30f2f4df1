"""What a user asks for: one built-in strategy over one symbol and date range, with a parameter grid.

``BacktestSpec.parse`` turns a request body into a spec or raises ``InvalidInput`` whose
details name each offending field (``strategy``, ``end``, ``grid.fast`` ...). The grid maps
each of the strategy's parameters to the values to try; every combination the strategy
accepts is one run (fast >= slow pairs are skipped; a grid with none left is an error naming
the parameter).
"""
from __future__ import annotations

import itertools
import json
import math
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from shared.backtest.engine import Costs
from shared.backtest.strategies import STRATEGIES
from shared.domain.instruments import SYMBOL_PATTERN
from shared.errors import InvalidInput

MAX_COMBINATIONS = 10_000  # what one sweep may ask for (the Distributed Map plan is checked at this size)
MAX_GRID_PRODUCT = 100_000  # raw grid size looked at before skipping invalid combinations
StrategyName = Literal["dual_ma", "breakout", "bollinger", "rsi", "atr_stop"]
FIRST_YEAR, LAST_YEAR = 1990, 2200  # as the K-line range: Chinese futures trade from the 1990s


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{json.dumps(value)[:40]} is not a number")
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return value


def _iso_date(value: Any) -> Any:
    """Dates as the K-line API takes them: ``2021-03-01``, ``20210301``, ``2021-W09-1``."""
    if not isinstance(value, str):
        raise ValueError(f"{json.dumps(value, default=str)[:40]} is not a date: send a string such as \"2021-03-01\"")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not an ISO date such as 2021-03-01") from None


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


GridValue = Annotated[int | float, BeforeValidator(_number)]  # as sent: true is not 1, "5" not 5; ints stay ints


class GridError(ValueError):
    """A grid problem that belongs to one parameter (``field``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class BacktestSpec(BaseModel):
    """A sweep of ``strategy`` over ``symbol``'s 1-minute bars on trading days ``start``..``end``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    symbol: str = Field(pattern=SYMBOL_PATTERN, description="contract code, e.g. cu_main")
    start: IsoDate
    end: IsoDate
    strategy: StrategyName
    grid: dict[str, list[GridValue]] = Field(
        description="parameter -> values to try, e.g. {\"fast\": [5, 10], \"slow\": [20, 60]}")
    # upper bounds far above any real contract, so that every PnL the engine computes stays finite
    capital: float = Field(default=1_000_000.0, gt=0, le=1e13)
    lots: int = Field(default=1, ge=1, le=10_000, description="order size in lots")
    commission_rate: float = Field(default=0.0001, ge=0, lt=1, description="fraction of turnover")
    commission_per_lot: float = Field(default=0.0, ge=0, le=100_000, description="money per lot and fill")
    close_today_rate: float | None = Field(default=None, ge=0, lt=1, description="None: commission_rate")
    close_today_per_lot: float | None = Field(default=None, ge=0, le=100_000,
                                              description="None: commission_per_lot")
    slippage: float = Field(default=0.0, ge=0, le=100_000, description="price units per lot and fill")
    size: float | None = Field(default=None, gt=0, le=100_000,
                               description="contract multiplier; None: from instruments")
    price_tick: float | None = Field(default=None, ge=0, le=10_000, description="None: from instruments")

    @field_validator("start", "end")
    @classmethod
    def _year_in_range(cls, day: date) -> date:
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(f"{day} is outside the years {FIRST_YEAR}..{LAST_YEAR}")
        return day

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError(f"empty date range: end {end} is before start {start}")
        return end

    @field_validator("grid")
    @classmethod
    def _grid_fits_strategy(cls, grid: dict[str, list[GridValue]], info: ValidationInfo) -> dict[str, list[GridValue]]:
        strategy = info.data.get("strategy")
        if strategy is not None:
            combinations(strategy, grid)  # raises GridError naming the parameter
        return grid

    def combinations(self) -> list[dict[str, Any]]:
        """The parameter sets to run, in grid order (the strategy's parameter order)."""
        return combinations(self.strategy, self.grid)


    def costs(self) -> Costs:
        """The run's contract and cost terms (size and tick as filled in by the plan step)."""
        return Costs(size=self.size or 1.0, price_tick=self.price_tick or 0.0,
                     commission_rate=self.commission_rate, commission_per_lot=self.commission_per_lot,
                     close_today_rate=self.close_today_rate, close_today_per_lot=self.close_today_per_lot,
                     slippage=self.slippage, capital=self.capital)

    @classmethod
    def parse(cls, data: Any) -> BacktestSpec:
        """Validate a request body; ``InvalidInput`` lists ``{"field", "message"}`` per problem."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = [_problem(err) for err in exc.errors()]
            text = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
            raise InvalidInput(f"invalid backtest spec: {text}", problems) from exc


def combinations(strategy: str, grid: dict[str, list[GridValue]]) -> list[dict[str, Any]]:
    """Every combination of ``grid`` values that ``strategy``'s parameters accept."""
    model = STRATEGIES[strategy].params
    names = list(model.model_fields)
    for name in grid:
        if name not in model.model_fields:
            raise GridError(f"grid.{name}", f"{strategy} has no parameter {name!r}; it has {', '.join(names)}")
    for name in names:
        if not grid.get(name):
            raise GridError(f"grid.{name}", f"give at least one value for {name}")
    product = math.prod(len(set(grid[n])) for n in names)
    if product > MAX_GRID_PRODUCT:
        raise GridError("grid", f"grid too large: {product} combinations; at most {MAX_COMBINATIONS} are allowed")
    values = [sorted(set(grid[n])) for n in names]
    out, relation = [], None
    for combo in itertools.product(*values):
        raw = dict(zip(names, combo, strict=True))
        try:
            params = model.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            if err["loc"]:  # one value is bad in every combination
                raise GridError(f"grid.{err['loc'][0]}", f"{raw[err['loc'][0]]!r}: {err['msg']}") from None
            relation = err["msg"].removeprefix("Value error, ")
            continue
        out.append(params.model_dump())
    if not out:
        # a relation between parameters ("fast (20) must be < slow (10)") names its first one
        field = f"grid.{relation.split()[0]}" if relation else "grid"
        raise GridError(field, f"no valid combination: {relation}")
    if len(out) > MAX_COMBINATIONS:
        raise GridError("grid", f"grid too large: {len(out)} combinations; at most {MAX_COMBINATIONS} are allowed")
    return out


def _problem(err: Any) -> dict[str, str]:
    grid_error = (err.get("ctx") or {}).get("error")
    if isinstance(grid_error, GridError):
        return {"field": grid_error.field, "message": str(grid_error)}
    field = ".".join(str(p) for p in err["loc"]) or "spec"
    return {"field": field, "message": err["msg"].removeprefix("Value error, ")}
