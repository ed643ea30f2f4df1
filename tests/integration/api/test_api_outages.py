"""Services away: the API answers 503 in the error body and never lets a token through unchecked."""
from __future__ import annotations

from fastapi.testclient import TestClient

from functions.api.app import create_app
from shared.adapters.secrets import forget_jwt_key
from shared.settings import Settings

CLOSED_PORT = 1  # nothing listens there


def _client(settings: Settings, **changes: str) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=changes)), raise_server_exceptions=False)


def test_revocation_check_fails_closed_when_redis_is_away(client: TestClient, api_env: Settings) -> None:
    user = {"username": "alice", "password": "correct horse"}
    client.post("/auth/register", json=user)
    token = client.post("/auth/login", json=user).json()["access_token"]
    away = _client(api_env, redis_url=f"redis://127.0.0.1:{CLOSED_PORT}/0")
    response = away.get("/backtests/00000000-0000-0000-0000-000000000000", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


def test_database_away_is_503(api_env: Settings) -> None:
    away = _client(api_env, database_url=f"postgresql://postgres@127.0.0.1:{CLOSED_PORT}/quantcloud")
    response = away.post("/auth/login", json={"username": "alice", "password": "correct horse"})
    assert response.status_code == 503
    assert response.json()["error"] == {"code": "service_unavailable", "message": "database unreachable",
                                        "details": None}


def test_missing_jwt_secret_is_503_not_a_weak_fallback(api_env: Settings, client: TestClient) -> None:
    client.post("/auth/register", json={"username": "alice", "password": "correct horse"})
    forget_jwt_key()
    away = _client(api_env, jwt_secret_id="quantcloud/no-such-secret")
    response = away.post("/auth/login", json={"username": "alice", "password": "correct horse"})
    assert response.status_code == 503
    assert "no-such-secret" in response.json()["error"]["message"]
