from datetime import date

import pytest

from shared.backtest.spec import BacktestSpec
from shared.errors import InvalidInput

BASE = {"symbol": "cu_main", "start": "2021-01-04", "end": "2021-02-26", "strategy": "dual_ma",
        "grid": {"fast": [5, 10], "slow": [10, 20]}}


def fields(exc: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {p["field"] for p in exc.value.details}


def test_defaults_and_combinations_skip_fast_not_below_slow() -> None:
    spec = BacktestSpec.parse(BASE)
    assert spec.start == date(2021, 1, 4)
    assert (spec.capital, spec.commission_rate, spec.slippage, spec.size, spec.lots) == (1_000_000, 0.0001, 0.0, None, 1)
    # 10/10 is skipped; 5/10, 5/20, 10/20 remain
    assert spec.combinations() == [{"fast": 5, "slow": 10}, {"fast": 5, "slow": 20}, {"fast": 10, "slow": 20}]


def test_fast_not_below_slow_names_grid_fast() -> None:
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, "grid": {"fast": [20, 30], "slow": [10, 20]}})
    assert fields(exc) == {"grid.fast"}
    assert "must be < slow" in exc.value.message


def test_end_before_start_names_end() -> None:
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, "start": "2021-02-01", "end": "2021-01-31"})
    assert fields(exc) == {"end"}
    assert "empty date range" in exc.value.message


def test_grid_over_10000_combinations_names_grid() -> None:
    # fast 1..101 x slow 102..201: 101 * 100 = 10,100 valid pairs
    grid = {"fast": list(range(1, 102)), "slow": list(range(102, 202))}
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, "grid": grid})
    assert fields(exc) == {"grid"}
    assert "10100" in exc.value.message
    # exactly 10,000 is allowed: 100 x 100
    ok = BacktestSpec.parse({**BASE, "grid": {"fast": list(range(1, 101)), "slow": list(range(101, 201))}})
    assert len(ok.combinations()) == 10_000


def test_huge_raw_grid_is_refused_before_it_is_enumerated() -> None:
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, "grid": {"fast": list(range(1, 1001)), "slow": list(range(1, 1001))}})
    assert fields(exc) == {"grid"}


@pytest.mark.parametrize(("strategy", "grid", "field"), [
    ("breakout", {"entry_window": [20], "exit_window": [0]}, "grid.exit_window"),
    ("bollinger", {"window": [20], "dev": [-1]}, "grid.dev"),
    ("rsi", {"window": [14], "lower": [70], "upper": [30]}, "grid.lower"),
    ("atr_stop", {"window": [20], "atr_window": [14]}, "grid.multiplier"),
    ("dual_ma", {"fast": [5], "slow": [20], "period": [3]}, "grid.period"),
])
def test_bad_strategy_parameters_name_the_parameter(strategy: str, grid: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, "strategy": strategy, "grid": grid})
    assert fields(exc) == {field}


def test_every_strategy_accepts_its_grid() -> None:
    grids = {"breakout": {"entry_window": [20, 40], "exit_window": [10]},
             "bollinger": {"window": [20], "dev": [1.5, 2]},
             "rsi": {"window": [14], "lower": [20, 30], "upper": [70]},
             "atr_stop": {"window": [60], "atr_window": [14], "multiplier": [2, 3]}}
    for strategy, grid in grids.items():
        assert len(BacktestSpec.parse({**BASE, "strategy": strategy, "grid": grid}).combinations()) == 2


def test_unknown_strategy_names_strategy() -> None:
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, "strategy": "turtle"})
    assert fields(exc) == {"strategy"}


def test_bad_window_and_extra_field_name_their_fields() -> None:
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, "grid": {"fast": [0], "slow": [10]}, "leverage": 3})
    assert fields(exc) == {"grid.fast", "leverage"}


@pytest.mark.parametrize(("change", "field"), [
    ({"start": "0001-01-01"}, "start"),                       # FAILED after the 202 with an OverflowError
    ({"end": "9999-12-31"}, "end"),
    ({"slippage": float("inf")}, "slippage"),                 # PostgreSQL refused it without naming it
    ({"capital": float("nan")}, "capital"),
    ({"size": 1e308}, "size"),                                # every shard failed: PnL not JSON-finite
    ({"close_today_per_lot": 1e308}, "close_today_per_lot"),  # "succeeded" with a PnL of -1e308
    ({"price_tick": 1e6}, "price_tick"),                      # every price rounded to 0
    ({"grid": {"fast": [True], "slow": [20]}}, "grid.fast.0"),  # was read as fast = 1
    ({"grid": {"fast": ["5"], "slow": [20]}}, "grid.fast.0"),
    ({"grid": {"fast": [float("inf")], "slow": [20]}}, "grid.fast.0"),
])
def test_values_the_engine_cannot_use_are_refused_naming_the_field(change: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, **change})
    assert fields(exc) == {field}


def test_grid_integers_stay_integers() -> None:
    assert BacktestSpec.parse(BASE).model_dump(mode="json")["grid"] == {"fast": [5, 10], "slow": [10, 20]}


def test_dates_take_every_iso_form_the_klines_take_and_only_strings() -> None:
    assert BacktestSpec.parse({**BASE, "start": "20210104", "end": "2021-W08-5"}).end == date(2021, 2, 26)
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, "start": 20210104})  # was "Datetimes provided to dates should have zero time"
    assert fields(exc) == {"start"} and 'send a string such as "2021-03-01"' in exc.value.message
