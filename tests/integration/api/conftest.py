"""The API under test: real PostgreSQL and Redis, moto for Secrets Manager and Step Functions.

``client`` drives the FastAPI app directly; ``invoke`` sends API Gateway v2
events through the Lambda handler (Mangum), stage ``dev``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import psycopg
import pytest
from fastapi.testclient import TestClient

from apigw_events import http_event
from functions.api import handler as api_handler
from functions.api.app import create_app
from shared.adapters.secrets import create_jwt_secret, forget_jwt_key, jwt_key
from shared.auth.tokens import issue_token
from shared.settings import Settings, get_settings

SECRET_ID = "quantcloud/jwt-api-test"
TABLES = ("users", "audit_log", "instruments", "bars_1m", "backtests")


@pytest.fixture
def api_env(db: psycopg.Connection, database_url: str, redis_url: str, aws: None,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings for the app and the environment the handler reads, with a fresh JWT secret."""
    create_jwt_secret(boto3.client("secretsmanager", region_name="cn-north-1"), SECRET_ID)
    monkeypatch.setenv("QC_JWT_SECRET_ID", SECRET_ID)
    monkeypatch.setenv("QC_API_STAGE", "/dev")
    monkeypatch.setenv("QC_BACKTEST_STATE_MACHINE_ARN",
                       "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:quantcloud-backtest")
    get_settings.cache_clear()
    forget_jwt_key()
    api_handler.reset()
    yield get_settings()
    get_settings.cache_clear()
    forget_jwt_key()
    api_handler.reset()


@pytest.fixture
def key(api_env: Settings) -> bytes:
    return jwt_key(api_env)


@pytest.fixture
def client(api_env: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(api_env), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def bearer(key: bytes) -> str:
    """A valid access token (for a user id no row needs: routes check the token, not the users table)."""
    return issue_token("1", key, datetime.now(UTC), 3600)


@pytest.fixture
def signed_in(client: TestClient, bearer: str) -> TestClient:
    """``client`` sending ``bearer`` on every request."""
    client.headers["authorization"] = f"Bearer {bearer}"
    return client


@pytest.fixture
def invoke(api_env: Settings) -> Callable[..., dict[str, Any]]:
    """``invoke("GET", "/health", query=..., body=..., token=...)`` -> the handler's response dict."""
    def call(method: str, path: str, *, token: str | None = None, **kwargs: Any) -> dict[str, Any]:
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["authorization"] = f"Bearer {token}"
        return api_handler.handler(http_event(method, path, headers=headers, **kwargs), None)

    return call


@pytest.fixture
def row_counts(db: psycopg.Connection) -> Callable[[], dict[str, int]]:
    """Rows per table, to show a refused request changed nothing."""
    def counts() -> dict[str, int]:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}

    return counts
