"""POST/GET /backtests: validation, ownership, the Step Functions start, and a dead execution seen as FAILED.

The full sweep (plan, workers, reduce) is tested end to end elsewhere; here the state
machines are one-state stand-ins in moto.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator

import boto3
import psycopg
import pytest
from fastapi.testclient import TestClient

from copper_bars import load_copper
from functions.api.app import create_app
from shared.adapters.s3_results import put_json
from shared.backtest.fanout import items_key
from shared.settings import Settings

SPEC = {"symbol": "cu_main", "start": "2021-01-04", "end": "2021-01-05", "strategy": "dual_ma",
        "grid": {"fast": [5, 10], "slow": [20, 60]}}
PASS = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
FAIL = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "WorkerCrashed", "Cause": "out of memory"}}}


def _state_machine(name: str, definition: dict) -> str:
    sfn = boto3.client("stepfunctions", region_name="cn-north-1")
    return sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                    roleArn="arn:aws-cn:iam::123456789012:role/sfn")["stateMachineArn"]


def _client(settings: Settings, state_machine_arn: str) -> TestClient:
    app = create_app(settings.model_copy(update={"backtest_state_machine_arn": state_machine_arn}))
    return TestClient(app, raise_server_exceptions=False)


def _login(client: TestClient, username: str) -> dict[str, str]:
    user = {"username": username, "password": "correct horse"}
    assert client.post("/auth/register", json=user).status_code == 201
    return {"Authorization": "Bearer " + client.post("/auth/login", json=user).json()["access_token"]}


@pytest.fixture
def copper(db: psycopg.Connection) -> None:
    load_copper(db, {"20210104", "20210105"})


@pytest.fixture
def passing(api_env: Settings, copper: None) -> Iterator[TestClient]:
    with _client(api_env, _state_machine("bt-pass", PASS)) as client:
        yield client


def test_submit_starts_the_execution_and_marks_running(passing: TestClient, db: psycopg.Connection) -> None:
    auth = _login(passing, "alice")
    response = passing.post("/backtests", json=SPEC, headers=auth)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "RUNNING"
    status, total, arn, spec = db.execute(
        "SELECT status, total, execution_arn, spec FROM backtests WHERE id = %s", (body["id"],)).fetchone()
    assert (status, total) == ("RUNNING", 4)  # fast 5, 10 x slow 20, 60: every pair has fast < slow
    assert spec["symbol"] == "cu_main" and spec["grid"] == {"fast": [5, 10], "slow": [20, 60]}
    execution = boto3.client("stepfunctions", region_name="cn-north-1").describe_execution(executionArn=arn)
    assert execution["name"] == body["id"]
    assert json.loads(execution["input"]) == {"backtest_id": body["id"], "spec": spec}

    state = passing.get(f"/backtests/{body['id']}", headers=auth)
    assert state.status_code == 200
    assert state.json() | {"spec": None} == {"id": body["id"], "status": "RUNNING", "total": 4, "done": 0,
                                             "spec": None, "results": None, "ranking": None, "best": None,
                                             "failed_shards": None, "error": None}


def test_results_are_reported_once_stored(passing: TestClient, db: psycopg.Connection) -> None:
    auth = _login(passing, "alice")
    backtest_id = passing.post("/backtests", json=SPEC, headers=auth).json()["id"]
    best = {"params": {"fast": 5, "slow": 20}, "total_return": 0.01, "sharpe": 1.5, "max_drawdown": 0.02,
            "trade_count": 7}
    db.execute("UPDATE backtests SET status = 'SUCCEEDED', done = 4, result = %s WHERE id = %s",
               (json.dumps({"results": [best], "best": best}), backtest_id))
    body = passing.get(f"/backtests/{backtest_id}", headers=auth).json()
    assert (body["status"], body["done"], body["best"]) == ("SUCCEEDED", 4, best)
    assert body["results"] == [{"rank": 1, **best}]
    assert body["ranking"] == {"offset": 0, "limit": 100, "count": 1}


def test_progress_while_running_is_counted_from_the_results_in_s3(passing: TestClient, api_env: Settings) -> None:
    auth = _login(passing, "alice")
    backtest_id = passing.post("/backtests", json=SPEC, headers=auth).json()["id"]
    s3 = boto3.client("s3", region_name="cn-north-1")
    s3.create_bucket(Bucket=api_env.backtest_bucket, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    # the plan's shard list: shards of 3 and 1 combinations; only the first has written its result
    shards = [{"shard": 0, "params": [{"fast": 5, "slow": 20}, {"fast": 5, "slow": 60}, {"fast": 10, "slow": 20}],
               "result_key": f"results/{backtest_id}/a.json"},
              {"shard": 1, "params": [{"fast": 10, "slow": 60}], "result_key": f"results/{backtest_id}/b.json"}]
    put_json(s3, api_env.backtest_bucket, items_key(backtest_id), shards)
    put_json(s3, api_env.backtest_bucket, shards[0]["result_key"], [])
    body = passing.get(f"/backtests/{backtest_id}", headers=auth).json()
    assert (body["status"], body["done"], body["total"]) == ("RUNNING", 3, 4)


def test_only_the_owner_sees_a_backtest(passing: TestClient) -> None:
    alice, bob = _login(passing, "alice"), _login(passing, "bob")
    backtest_id = passing.post("/backtests", json=SPEC, headers=alice).json()["id"]
    assert passing.get(f"/backtests/{backtest_id}", headers=alice).status_code == 200
    response = passing.get(f"/backtests/{backtest_id}", headers=bob)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert passing.get(f"/backtests/{backtest_id}").status_code == 401


def test_unknown_and_malformed_ids(passing: TestClient) -> None:
    auth = _login(passing, "alice")
    assert passing.get("/backtests/6f1c2b9e-0000-4000-8000-000000000000", headers=auth).status_code == 404
    response = passing.get("/backtests/not-a-uuid", headers=auth)
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "path.backtest_id"


def test_dead_execution_is_reported_failed(api_env: Settings, copper: None, db: psycopg.Connection) -> None:
    with _client(api_env, _state_machine("bt-fail", FAIL)) as client:
        auth = _login(client, "alice")
        backtest_id = client.post("/backtests", json=SPEC, headers=auth).json()["id"]
        arn = db.execute("SELECT execution_arn FROM backtests WHERE id = %s", (backtest_id,)).fetchone()[0]
        sfn = boto3.client("stepfunctions", region_name="cn-north-1")
        deadline = time.monotonic() + 10
        while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.05)
        body = client.get(f"/backtests/{backtest_id}", headers=auth).json()
    assert body["status"] == "FAILED"
    assert "FAILED" in body["error"]
    assert db.execute("SELECT status FROM backtests WHERE id = %s", (backtest_id,)).fetchone()[0] == "FAILED"


def test_execution_that_cannot_start_is_503_and_recorded(api_env: Settings, copper: None,
                                                         db: psycopg.Connection) -> None:
    missing = "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:no-such-machine"
    with _client(api_env, missing) as client:
        auth = _login(client, "alice")
        response = client.post("/backtests", json=SPEC, headers=auth)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert db.execute("SELECT status FROM backtests").fetchall() == [("FAILED",)]


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"grid": None}, 400, "body.grid"),
    ({"strategy": "turtle"}, 400, "body.strategy"),
    ({"start": "2021-01-06", "end": "2021-01-05"}, 400, "body.end"),
    ({"grid": {"fast": [60], "slow": [20]}}, 400, "body.grid.fast"),  # fast >= slow
    ({"grid": {"fast": list(range(1, 102)), "slow": list(range(102, 202))}}, 400, "body.grid"),  # too large
    ({"strategy": "breakout"}, 400, "body.grid.fast"),  # dual MA's grid names no breakout parameter
    ({"grid": {"fast": [0], "slow": [20]}}, 400, "body.grid.fast"),
    ({"capital": -1}, 400, "body.capital"),
    ({"start": "4 Jan"}, 400, "body.start"),
    ({"leverage": 10}, 400, "body.leverage"),
    ({"symbol": "zz9999"}, 404, None),
    ({"symbol": "cu\x00main"}, 400, "body.symbol"),  # PostgreSQL cannot even search for a NUL byte
    ({"start": "2022-01-04", "end": "2022-01-05"}, 400, "body.start"),  # no bars loaded there
])
def test_bad_spec_is_refused_and_changes_nothing(passing: TestClient, row_counts, change: dict, status: int,
                                                 field: str | None) -> None:
    auth = _login(passing, "alice")
    spec = {k: v for k, v in (SPEC | change).items() if v is not None}
    before = row_counts()
    response = passing.post("/backtests", json=spec, headers=auth)
    assert response.status_code == status, response.text
    if field:
        assert field in [d["field"] for d in response.json()["error"]["details"]]
        assert "Value error" not in response.text  # pydantic's prefix is no help to a person
    if status == 404:  # the unknown symbol is named
        assert response.json()["error"]["code"] == "unknown_instrument"
        assert response.json()["error"]["details"] == {"symbol": "zz9999"}
    assert row_counts() == before


def test_malformed_json_spec_is_400(passing: TestClient, row_counts) -> None:
    auth = _login(passing, "alice")
    before = row_counts()
    response = passing.post("/backtests", content=b'{"symbol": "cu_main",', headers=auth | {"Content-Type": "application/json"})
    assert response.status_code == 400
    assert row_counts() == before


def test_submit_needs_a_token(passing: TestClient, row_counts) -> None:
    before = row_counts()
    assert passing.post("/backtests", json=SPEC).status_code == 401
    assert row_counts() == before
