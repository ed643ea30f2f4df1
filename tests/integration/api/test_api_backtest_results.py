"""The whole sweep behind the API (real handlers under moto's Step Functions): ranking pages,
trades, daily equity, the HTML chart, progress pushed to WebSocket subscribers, and cancel."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import jwt
import psycopg
import pytest
from fastapi.testclient import TestClient
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

from copper_bars import load_copper
from functions.api.app import create_app
from infra.local import lambda_dispatch
from infra.local.provision import backtest_handlers, provision
from shared.adapters.s3_results import get_json, put_results
from shared.adapters.ws_connections import WsConnections
from shared.backtest.fanout import items_key
from shared.settings import Settings, get_settings

SPEC = {"symbol": "cu_main", "start": "2021-01-04", "end": "2021-01-08", "strategy": "dual_ma",
        # 3 x 3 windows, all fast < slow: 9 combinations
        "grid": {"fast": [5, 10, 15], "slow": [30, 60, 90]}, "slippage": 10.0}
MANAGEMENT_URL = "https://ws1234.execute-api.cn-north-1.amazonaws.com/dev"


@pytest.fixture
def app(api_env: Settings, db: psycopg.Connection, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    load_copper(db, {"20210104", "20210105", "20210106", "20210107", "20210108"})
    monkeypatch.setenv("QC_WS_MANAGEMENT_URL", MANAGEMENT_URL)
    get_settings.cache_clear()
    with lambda_dispatch.dispatching(backtest_handlers()):
        arn = provision(get_settings())["state_machine_arn"]
        settings = get_settings().model_copy(update={"backtest_state_machine_arn": arn})
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield client


def login(client: TestClient, username: str) -> dict[str, str]:
    user = {"username": username, "password": "correct horse"}
    assert client.post("/auth/register", json=user).status_code == 201
    return {"Authorization": "Bearer " + client.post("/auth/login", json=user).json()["access_token"]}


def wait(client: TestClient, backtest_id: str, auth: dict[str, str], until: set[str]) -> dict:
    deadline = time.monotonic() + 120
    while (body := client.get(f"/backtests/{backtest_id}", headers=auth).json())["status"] not in until:
        assert time.monotonic() < deadline, body
        time.sleep(0.1)
    return body


def user_id_of(auth: dict[str, str]) -> str:
    token = auth["Authorization"].removeprefix("Bearer ")
    return jwt.decode(token, options={"verify_signature": False})["sub"]


def split_json(text: str) -> list[dict]:
    """moto keeps the bodies posted to a connection concatenated."""
    decoder, out, at = json.JSONDecoder(), [], 0
    while at < len(text):
        value, at = decoder.raw_decode(text, at)
        out.append(value)
    return out


def test_ranking_pages_trades_equity_chart_and_progress(app: TestClient) -> None:
    auth = login(app, "alice")
    mallory = login(app, "mallory")
    submitted = app.post("/backtests", json=SPEC, headers=auth).json()
    backtest_id = submitted["id"]
    # WebSocket clients subscribed to the backtest's topic before the workers report: alice's own
    # connection, and mallory's, who learnt the id; only the owner's gets the progress
    store = WsConnections.from_settings(get_settings())
    for connection_id, user in (("conn-1", auth), ("conn-2", mallory)):
        store.add(connection_id, user_id_of(user), datetime.now(UTC))
        store.subscribe(connection_id, [f"backtest.{backtest_id}"])
    body = wait(app, backtest_id, auth, {"SUCCEEDED", "FAILED"})
    assert body["status"] == "SUCCEEDED", body["error"]
    assert (body["done"], body["total"], body["ranking"]["count"]) == (9, 9, 9)
    assert body["failed_shards"] == []

    page = app.get(f"/backtests/{backtest_id}?offset=3&limit=4", headers=auth).json()
    assert [r["rank"] for r in page["results"]] == [4, 5, 6, 7]
    assert page["results"] == [{"rank": i + 4, **r} for i, r in enumerate(
        [{k: v for k, v in r.items() if k != "rank"} for r in body["results"][3:7]])]
    sharpes = [r["sharpe"] for r in body["results"]]
    assert sharpes == sorted(sharpes, reverse=True)

    trades = app.get(f"/backtests/{backtest_id}/trades?rank=2", headers=auth).json()
    second = body["results"][1]
    assert trades["params"] == second["params"]
    assert len(trades["trades"]) == second["trade_count"] > 0
    first = trades["trades"][0]
    assert first["offset"] == "open" and first["price"] % 10 == 0 and first["ts"].endswith("+08:00")
    # each fill pays 10 price units x size 5 of slippage
    assert all(t["slippage"] == pytest.approx(50.0) for t in trades["trades"])

    equity = app.get(f"/backtests/{backtest_id}/equity", headers=auth).json()
    assert equity["params"] == body["best"]["params"]
    days = [d["trading_day"] for d in equity["daily"]]
    assert days == ["2021-01-04", "2021-01-05", "2021-01-06", "2021-01-07", "2021-01-08"]
    assert equity["daily"][-1]["balance"] == pytest.approx(1_000_000 * (1 + body["best"]["total_return"]))
    assert equity["statistics"]["sharpe"] == pytest.approx(body["best"]["sharpe"])

    chart = app.get(f"/backtests/{backtest_id}/chart", headers=auth)
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("text/html")
    assert "<svg" in chart.text and "<script" not in chart.text and "2021-01-08" in chart.text
    assert app.get(f"/backtests/{backtest_id}/trades?rank=10", headers=auth).status_code == 404
    assert app.get(f"/backtests/{backtest_id}/trades", headers=mallory).status_code == 404

    # progress reached the subscriber through the Management API: done/total, then SUCCEEDED
    posted = apigatewaymanagementapi_backends["123456789012"]["cn-north-1"].connections["conn-1"].data.decode()
    messages = split_json(posted)
    assert {m["topic"] for m in messages} == {f"backtest.{backtest_id}"}
    # shards finish concurrently, so their pushes may arrive out of order; the highest count is all 9
    assert max(m["data"]["done"] for m in messages if m["data"]["status"] == "RUNNING") == 9
    assert messages[-1]["data"] == {"backtest_id": backtest_id, "status": "SUCCEEDED", "done": 9, "total": 9}
    connections = apigatewaymanagementapi_backends["123456789012"]["cn-north-1"].connections
    assert "conn-2" not in connections or not connections["conn-2"].data


def test_a_running_backtest_can_be_cancelled(app: TestClient, db: psycopg.Connection) -> None:
    entered, release = threading.Event(), threading.Event()
    real = backtest_handlers()["quantcloud-backtest-worker"]

    def slow_worker(event: dict, context: object) -> dict:
        entered.set()
        release.wait(30)
        return real(event, context)

    lambda_dispatch.install({"quantcloud-backtest-worker": slow_worker})
    auth = login(app, "alice")
    backtest_id = app.post("/backtests", json=SPEC, headers=auth).json()["id"]
    # cancel once the workers run (moto cannot stop an execution in its first instant; AWS can)
    assert entered.wait(30)
    # one shard's results are written (as a worker would): the progress reached is 1 shard's combinations
    s3, bucket = boto3.client("s3", region_name="cn-north-1"), get_settings().backtest_bucket
    first = get_json(s3, bucket, items_key(backtest_id))[0]
    put_results(s3, bucket, first["result_key"], [])
    assert app.get(f"/backtests/{backtest_id}", headers=auth).json()["done"] == len(first["params"])
    response = app.post(f"/backtests/{backtest_id}/cancel", headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": backtest_id, "status": "CANCELLED"}
    cancelled = app.get(f"/backtests/{backtest_id}", headers=auth).json()
    assert (cancelled["status"], cancelled["done"]) == ("CANCELLED", len(first["params"]))  # not reset to 0
    arn = db.execute("SELECT execution_arn FROM backtests WHERE id = %s", (backtest_id,)).fetchone()[0]
    sfn = boto3.client("stepfunctions", region_name="cn-north-1")
    # the worker already running finishes (moto's interpreter sees the stop between states);
    # its writes must not revive the row
    release.set()
    deadline = time.monotonic() + 30
    while (state := sfn.describe_execution(executionArn=arn)["status"]) == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
    # AWS reports ABORTED; moto's interpreter sometimes ends a stopped Map as FAILED (through our
    # Catch and MarkFailed), which must not overwrite CANCELLED either
    assert state in {"ABORTED", "FAILED"}
    time.sleep(0.5)
    assert app.get(f"/backtests/{backtest_id}", headers=auth).json()["status"] == "CANCELLED"
    again = app.post(f"/backtests/{backtest_id}/cancel", headers=auth)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
