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
    assert (spec.capital, spec.commission_rate, spec.slippage, spec.size) == (1_000_000, 0.0001, 0.0, None)
    # 10/10 is skipped; 5/10, 5/20, 10/20 remain
    assert spec.combinations() == [{"fast": 5, "slow": 10}, {"fast": 5, "slow": 20}, {"fast": 10, "slow": 20}]


def test_grid_without_a_valid_pair_names_grid() -> None:
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, "grid": {"fast": [20, 30], "slow": [10, 20]}})
    assert fields(exc) == {"grid"}
    assert "fast < slow" in exc.value.message


def test_end_before_start_names_end() -> None:
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, "start": "2021-02-01", "end": "2021-01-31"})
    assert fields(exc) == {"end"}


def test_grid_over_200_combinations_names_grid() -> None:
    # fast 1..15 x slow 16..30: 15 * 15 = 225 valid pairs
    grid = {"fast": list(range(1, 16)), "slow": list(range(16, 31))}
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, "grid": grid})
    assert fields(exc) == {"grid"}
    assert "225" in exc.value.message
    # exactly 200 is allowed: 10 x 20
    ok = BacktestSpec.parse({**BASE, "grid": {"fast": list(range(1, 11)), "slow": list(range(11, 31))}})
    assert len(ok.combinations()) == 200


def test_unknown_strategy_names_strategy() -> None:
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, "strategy": "turtle"})
    assert fields(exc) == {"strategy"}


def test_bad_window_and_extra_field_name_their_fields() -> None:
    with pytest.raises(InvalidInput) as exc:
        BacktestSpec.parse({**BASE, "grid": {"fast": [0], "slow": [10]}, "leverage": 3})
    assert fields(exc) == {"grid.fast", "leverage"}
