"""The sweep's plan: shards of combinations, their result keys, and which Map runs them.

Small sweeps travel in the state itself (inline Map); large ones are written to S3 as a
JSON array for a Distributed Map's ItemReader, so the state stays small whatever the grid.
moto rejects ``ItemBatcher``, so batching happens here: each item is already a shard.

Work is keyed by what determines its result: strategy and its version, parameters, costs,
and the data snapshot (a hash of the staged bars). A retried shard writes the same key,
overwriting instead of adding a second copy.

Service limits the plan must respect (AWS Step Functions quotas, checked by ``check_limits``):
256 KiB per state input/output and per Map item; 25,000 events in one execution's history
(inline Map iterations count there, about 8 events each with a retry spare; a Distributed
Map's child executions have their own histories); 10,000 concurrent child executions.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from shared.backtest.strategies import STRATEGIES

PAYLOAD_LIMIT_BYTES = 256 * 1024
HISTORY_EVENT_LIMIT = 25_000
CHILD_EXECUTION_LIMIT = 10_000
EVENTS_PER_INLINE_ITERATION = 8  # iteration started/ended, task entered/scheduled/started/succeeded/exited, spare
EVENTS_OUTSIDE_MAP = 40  # plan, choice, reduce, their retries
SHARD_SIZE = 50  # combinations per worker: ~150 ms of dual MA on the whole copper sample
MIN_SHARDS = 16  # below SHARD_SIZE x this, shards shrink so small sweeps still run in parallel
INLINE_MAX_SHARDS = 16  # more than this goes to the Distributed Map


@dataclass(frozen=True, slots=True)
class Plan:
    mode: str  # "INLINE" or "DISTRIBUTED"
    items: list[dict[str, Any]]  # one per shard: the worker's event
    total: int  # combinations


def shard_size(total: int) -> int:
    return max(1, min(SHARD_SIZE, math.ceil(total / MIN_SHARDS)))


def work_key(spec: dict[str, Any], params: list[dict[str, Any]], snapshot: str) -> str:
    """Hash of what a shard's result depends on (not of the backtest id)."""
    costs = {k: v for k, v in spec.items() if k not in ("symbol", "start", "end", "grid")}
    material = {"strategy": spec["strategy"], "version": STRATEGIES[spec["strategy"]].version,
                "params": params, "costs": costs, "data": snapshot}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]


def results_prefix(backtest_id: str) -> str:
    return f"results/{backtest_id}/"


def result_key(backtest_id: str, key: str) -> str:
    return f"{results_prefix(backtest_id)}{key}.json"


def items_key(backtest_id: str) -> str:
    """Where the plan writes the shard list (the Distributed Map's items; Reduce's and progress's index)."""
    return f"plans/{backtest_id}/shards.json"


def progress_of(items: list[dict[str, Any]], finished_keys: set[str]) -> tuple[int, int]:
    """(done, total) combinations: a shard counts once its result file exists, however often it ran."""
    total = sum(len(i["params"]) for i in items)
    return sum(len(i["params"]) for i in items if i["result_key"] in finished_keys), total


def make_plan(backtest_id: str, spec: dict[str, Any], combinations: list[dict[str, Any]],
              bars_key: str, snapshot: str, user_id: str) -> Plan:
    """Shards of the grid; each item carries the owner, to whom alone its progress is pushed."""
    size = shard_size(len(combinations))
    items = []
    for shard, start in enumerate(range(0, len(combinations), size)):
        params = combinations[start:start + size]
        items.append({"backtest_id": backtest_id, "user_id": user_id, "bars_key": bars_key, "shard": shard,
                      "spec": spec,
                      "params": params, "result_key": result_key(backtest_id, work_key(spec, params, snapshot))})
    mode = "INLINE" if len(items) <= INLINE_MAX_SHARDS else "DISTRIBUTED"
    return Plan(mode, items, len(combinations))


def state_output(plan: Plan, backtest_id: str, bucket: str, bars_key: str, items_key: str) -> dict[str, Any]:
    """What the Plan task hands to the rest of the machine."""
    out: dict[str, Any] = {"backtest_id": backtest_id, "bucket": bucket, "bars_key": bars_key,
                           "items_key": items_key,
                           "mode": plan.mode, "shard_count": len(plan.items), "total": plan.total}
    if plan.mode == "INLINE":
        out["shards"] = plan.items
    return out


def check_limits(plan: Plan, output: dict[str, Any]) -> dict[str, int]:
    """Raise ValueError if the plan would break a Step Functions quota; returns the measures."""
    measures = {
        "state_bytes": len(json.dumps(output).encode()),
        "largest_item_bytes": max((len(json.dumps(i).encode()) for i in plan.items), default=0),
        "items": len(plan.items),
        "parent_history_events": EVENTS_OUTSIDE_MAP + (
            EVENTS_PER_INLINE_ITERATION * len(plan.items) if plan.mode == "INLINE" else 10),
    }
    if measures["state_bytes"] > PAYLOAD_LIMIT_BYTES:
        raise ValueError(f"plan output is {measures['state_bytes']} bytes; the limit is {PAYLOAD_LIMIT_BYTES}")
    if measures["largest_item_bytes"] > PAYLOAD_LIMIT_BYTES:
        raise ValueError(f"a shard is {measures['largest_item_bytes']} bytes; the limit is {PAYLOAD_LIMIT_BYTES}")
    if measures["parent_history_events"] > HISTORY_EVENT_LIMIT:
        raise ValueError(f"{measures['parent_history_events']} history events; the limit is {HISTORY_EVENT_LIMIT}")
    if measures["items"] > CHILD_EXECUTION_LIMIT:
        raise ValueError(f"{measures['items']} shards; at most {CHILD_EXECUTION_LIMIT} child executions")
    return measures
