"""A backtest submitted over HTTP runs through Step Functions (moto, the real ASL and Lambdas) to SUCCEEDED."""
from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from infra.local.emulation import Emulation

pytestmark = pytest.mark.e2e


def test_backtest_runs_to_succeeded(emulation: Emulation, copper_bars: Path, token: str) -> None:
    spec = {"symbol": "cu_main", "start": "2021-01-04", "end": "2021-03-31", "strategy": "dual_ma",
            "grid": {"fast": [5, 10, 60], "slow": [30, 60]}}
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=emulation.config.http_url, headers=auth, timeout=30) as http:
        submitted = http.post("/backtests", json=spec)
        assert submitted.status_code == 202, submitted.text
        backtest_id = submitted.json()["id"]
        deadline = time.monotonic() + 90
        while True:
            state = http.get(f"/backtests/{backtest_id}").json()
            if state["status"] in ("SUCCEEDED", "FAILED") or time.monotonic() > deadline:
                break
            time.sleep(0.3)
    assert state["status"] == "SUCCEEDED", state
    # fast < slow only: (5,30) (5,60) (10,30) (10,60); 60 is never faster than 30 or 60
    assert state["total"] == state["done"] == 4
    pairs = {(r["params"]["fast"], r["params"]["slow"]) for r in state["results"]}
    assert pairs == {(5, 30), (5, 60), (10, 30), (10, 60)}
    assert state["best"]["sharpe"] == max(r["sharpe"] for r in state["results"])
