"""Register, log in, log out; every bad token refused; audit rows written before the answer."""
from __future__ import annotations

import base64
import json
import warnings
from datetime import UTC, datetime, timedelta

import jwt
import psycopg
import pytest
import redis
from fastapi.testclient import TestClient

from shared.auth.tokens import issue_token

USER = {"username": "trader_01", "password": "correct horse"}


def _register_and_login(client: TestClient, user: dict = USER) -> str:
    assert client.post("/auth/register", json=user).status_code == 201
    response = client.post("/auth/login", json=user)
    assert response.status_code == 200
    return response.json()["access_token"]


def _audit(db: psycopg.Connection) -> list[tuple]:
    return db.execute("SELECT action, user_id::text, detail FROM audit_log ORDER BY id").fetchall()


def _me(client: TestClient, token: str):  # any route that needs a token and changes nothing
    return client.get("/backtests/00000000-0000-0000-0000-000000000000", headers={"Authorization": f"Bearer {token}"})


def test_register_creates_user_with_argon2_hash_and_audit_row(client: TestClient, db: psycopg.Connection) -> None:
    response = client.post("/auth/register", json=USER)
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "trader_01"
    stored = db.execute("SELECT id::text, password_hash FROM users WHERE username = 'trader_01'").fetchone()
    assert stored[0] == body["id"]
    assert stored[1].startswith("$argon2id$") and "correct horse" not in stored[1]
    assert _audit(db) == [("register", body["id"], {"username": "trader_01"})]


def test_duplicate_username_is_409_and_keeps_the_first(client: TestClient, db: psycopg.Connection) -> None:
    first = client.post("/auth/register", json=USER).json()
    response = client.post("/auth/register", json={"username": "trader_01", "password": "another password"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert db.execute("SELECT id::text FROM users").fetchall() == [(first["id"],)]
    assert [a[0] for a in _audit(db)] == ["register", "register_rejected"]


@pytest.mark.parametrize(("body", "field"), [
    ({"username": "ab", "password": "long enough"}, "body.username"),
    ({"username": "a" * 33, "password": "long enough"}, "body.username"),
    ({"username": "has space", "password": "long enough"}, "body.username"),
    ({"username": "交易员甲", "password": "long enough"}, "body.username"),
    ({"username": "trader_02", "password": "7 chars"}, "body.password"),
    ({"username": "trader_02"}, "body.password"),
    ({"username": "trader_02", "password": "long enough", "admin": True}, "body.admin"),
])
def test_bad_registration_is_400_naming_the_field_and_stores_nothing(client, row_counts, body, field) -> None:
    before = row_counts()
    response = client.post("/auth/register", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert field in [d["field"] for d in error["details"]] and field in error["message"]
    assert row_counts() == before


@pytest.mark.parametrize("raw", ['{"username": "trader_02", "password": ', "not json", "[1, 2]", '"text"', "",
                                 b'{"username": "\xff\xfe"}', "[" * 50_000 + "]" * 50_000])
def test_malformed_or_non_object_body_is_400(client: TestClient, row_counts, raw: str | bytes) -> None:
    before = row_counts()
    response = client.post("/auth/register", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert row_counts() == before


def test_a_body_without_its_content_type_is_told_to_send_one(client: TestClient) -> None:
    response = client.post("/auth/login", content='{"username": "a", "password": "b"}',
                           headers={"Content-Type": "application/x-www-form-urlencoded"})  # curl -d's default
    assert response.status_code == 400
    assert "Content-Type: application/json" in response.json()["error"]["message"]


def test_malformed_json_message_says_so(client: TestClient) -> None:
    response = client.post("/auth/login", content='{"username": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "malformed JSON" in response.json()["error"]["message"]


def test_login_returns_a_bearer_token_for_the_user(client: TestClient, key: bytes, db, api_env) -> None:
    user_id = client.post("/auth/register", json=USER).json()["id"]
    response = client.post("/auth/login", json=USER)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == api_env.jwt_ttl_s
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    claims = jwt.decode(body["access_token"], key, algorithms=["HS256"])
    assert claims["sub"] == user_id and claims["exp"] - claims["iat"] == api_env.jwt_ttl_s
    assert [a[:2] for a in _audit(db)] == [("register", user_id), ("login", user_id)]


def test_wrong_password_and_unknown_user_are_the_same_401(client: TestClient, db) -> None:
    user_id = client.post("/auth/register", json=USER).json()["id"]
    wrong = client.post("/auth/login", json={"username": "trader_01", "password": "wrong password"})
    unknown = client.post("/auth/login", json={"username": "nobody", "password": "correct horse"})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"] == {"code": "unauthorized", "message": "invalid username or password",
                                            "details": None}
    assert _audit(db)[1:] == [("login_failed", user_id, {"username": "trader_01"}),
                              ("login_failed", None, {"username": "nobody"})]


def test_login_with_an_impossible_username_is_401_and_audited(client: TestClient, db) -> None:
    response = client.post("/auth/login", json={"username": "nul\x00byte", "password": "correct horse"})
    assert response.status_code == 401
    assert _audit(db) == [("login_failed", None, {"username": "nul\\u0000byte"})]


def test_logout_revokes_only_that_token(client: TestClient, db, redis_url: str, key: bytes) -> None:
    token = _register_and_login(client)
    other = client.post("/auth/login", json=USER).json()["access_token"]
    assert _me(client, token).status_code == 404  # authenticated: the backtest just does not exist
    response = client.post("/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json() == {"status": "logged_out"}

    again = _me(client, token)
    assert again.status_code == 401 and "revoked" in again.json()["error"]["message"]
    assert client.post("/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _me(client, other).status_code == 404

    jti = jwt.decode(token, key, algorithms=["HS256"])["jti"]
    r = redis.Redis.from_url(redis_url)
    assert r.keys("auth:revoked:*") == [f"auth:revoked:{jti}".encode()]
    assert 3590 <= r.ttl(f"auth:revoked:{jti}") <= 3600
    assert [a[0] for a in _audit(db)] == ["register", "login", "login", "logout"]
    assert _audit(db)[-1][2] == {"jti": jti}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _sign_with_weak_key(claims: dict) -> str:
    with warnings.catch_warnings():  # PyJWT rightly warns about a 6-byte key: that is the point here
        warnings.simplefilter("ignore")
        return jwt.encode(claims, "secret", algorithm="HS256")


def _bad_tokens(user_id: str, key: bytes) -> dict[str, str]:
    now = datetime.now(UTC)
    good = issue_token(user_id, key, now, 3600)
    header, payload, signature = good.split(".")
    claims = jwt.decode(good, key, algorithms=["HS256"])
    return {
        "expired": issue_token(user_id, key, now - timedelta(hours=2), 3600),
        "tampered": f"{header}.{_b64(dict(claims, sub='00000000-0000-0000-0000-000000000001'))}.{signature}",
        "other 32-byte key": issue_token(user_id, bytes(32 - i for i in range(32)), now, 3600),
        "constant 'secret' key": _sign_with_weak_key(claims),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "garbage": "not-a-token",
    }


@pytest.mark.parametrize("kind", ["expired", "tampered", "other 32-byte key", "constant 'secret' key",
                                  "alg none", "garbage"])
def test_bad_token_is_401(client: TestClient, key: bytes, kind: str) -> None:
    user_id = client.post("/auth/register", json=USER).json()["id"]
    response = _me(client, _bad_tokens(user_id, key)[kind])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_missing_or_non_bearer_authorization_is_401(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}):
        response = client.get("/backtests/00000000-0000-0000-0000-000000000000", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["code"] == "unauthorized"


def test_key_comes_from_secrets_manager(client: TestClient, key: bytes, api_env) -> None:
    import boto3

    stored = boto3.client("secretsmanager", region_name="cn-north-1").get_secret_value(
        SecretId=api_env.jwt_secret_id)["SecretString"]
    assert key == bytes.fromhex(stored) and len(key) >= 32
    token = _register_and_login(client)
    jwt.decode(token, bytes.fromhex(stored), algorithms=["HS256"])  # signed with exactly that key
