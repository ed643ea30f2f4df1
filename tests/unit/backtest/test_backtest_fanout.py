"""The sweep plan: shard sizes, inline vs Distributed Map, and a 10,000-combination plan
checked against Step Functions quotas (256 KiB payloads, history events, child executions)."""
from __future__ import annotations

import json

import pytest

from shared.backtest.fanout import (
    CHILD_EXECUTION_LIMIT,
    HISTORY_EVENT_LIMIT,
    PAYLOAD_LIMIT_BYTES,
    Plan,
    check_limits,
    make_plan,
    state_output,
)
from shared.backtest.spec import BacktestSpec

BASE = {"symbol": "cu_main", "start": "2021-01-04", "end": "2022-02-17", "strategy": "dual_ma",
        "size": 5.0, "price_tick": 10.0}
ID = "0b9e7a52-7d51-4c64-9c77-5e0c4a3e2f10"


def plan_of(grid: dict) -> tuple[Plan, dict]:
    spec = BacktestSpec.parse({**BASE, "grid": grid})
    plan = make_plan(ID, spec.model_dump(mode="json"), spec.combinations(), "bars/abc.npz", "abc", "u1")
    return plan, state_output(plan, ID, "bucket", "bars/abc.npz", f"plans/{ID}/shards.json")


def test_a_small_sweep_runs_inline_in_parallel_shards() -> None:
    plan, output = plan_of({"fast": [5, 10], "slow": [20, 60]})  # 4 combinations -> 4 shards of 1
    assert (plan.mode, len(plan.items), plan.total) == ("INLINE", 4, 4)
    assert output["shards"] == plan.items


def test_10000_combinations_fit_the_distributed_map_quotas() -> None:
    # fast 1..100 x slow 101..200: 10,000 combinations, the most a spec may ask for
    plan, output = plan_of({"fast": list(range(1, 101)), "slow": list(range(101, 201))})
    assert (plan.mode, plan.total) == ("DISTRIBUTED", 10_000)
    assert len(plan.items) == 200 and {len(i["params"]) for i in plan.items} == {50}
    assert "shards" not in output  # the items live in S3, not in the state
    measures = check_limits(plan, output)
    assert measures["state_bytes"] < 1024  # the state carries keys and counts only
    assert measures["largest_item_bytes"] < PAYLOAD_LIMIT_BYTES // 50
    assert measures["parent_history_events"] < HISTORY_EVENT_LIMIT
    assert measures["items"] <= CHILD_EXECUTION_LIMIT
    # every shard has its own result key, and all combinations are covered once
    assert len({i["result_key"] for i in plan.items}) == 200
    flat = [json.dumps(p, sort_keys=True) for i in plan.items for p in i["params"]]
    assert len(flat) == len(set(flat)) == 10_000


def test_an_inline_plan_too_big_for_the_state_is_refused() -> None:
    plan, output = plan_of({"fast": [5], "slow": [20]})
    fat = Plan("INLINE", [{**plan.items[0], "pad": "x" * PAYLOAD_LIMIT_BYTES}], 1)
    with pytest.raises(ValueError, match="limit"):
        check_limits(fat, {**output, "shards": fat.items})
