"""The WebSocket Lambdas against moto: DynamoDB connections, the JWT secret, the Management API."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.ws import authorizer, connect, default, disconnect
from infra.local.provision import provision
from shared.adapters.redis_client import redis_client
from shared.adapters.secrets import forget_jwt_key, jwt_key
from shared.adapters.token_revocations import revoke
from shared.adapters.ws_connections import WsConnections
from shared.auth.tokens import issue_token, verify_token
from shared.settings import get_settings

USER = "0f4e1d7a-52b4-4a5e-9a53-3c2f0b1e9d01"
MANAGEMENT = "https://abc123.execute-api.cn-north-1.amazonaws.com"


@pytest.fixture
def cloud(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[WsConnections]:
    monkeypatch.delenv("QC_AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("QC_WS_MANAGEMENT_URL", MANAGEMENT)
    get_settings.cache_clear()
    forget_jwt_key()
    provision(get_settings())
    yield WsConnections.from_settings(get_settings())
    get_settings.cache_clear()
    forget_jwt_key()


def event(connection_id: str, route: str, **extra: Any) -> dict[str, Any]:
    return {"requestContext": {"connectionId": connection_id, "routeKey": route, "stage": "dev",
                               "domainName": "abc123.execute-api.cn-north-1.amazonaws.com"}, **extra}


def sent_to(connection_id: str) -> list[dict[str, Any]]:
    """What moto's Management API recorded for a connection (one JSON object per post)."""
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    data = b""
    for regions in apigatewaymanagementapi_backends.values():
        for backend in regions.values():
            if connection_id in backend.connections:
                data += backend.connections[connection_id].data
    decoder, text, out, i = json.JSONDecoder(), data.decode(), [], 0
    while i < len(text):
        obj, i = decoder.raw_decode(text, i)
        out.append(obj)
    return out


def test_authorizer_allows_a_valid_token(cloud: WsConnections) -> None:
    token = issue_token(USER, jwt_key(get_settings()), datetime.now(UTC), 600)
    result = authorizer.handler({"methodArn": "arn:aws:execute-api:cn-north-1:1:api/dev/$connect",
                                 "queryStringParameters": {"token": token}}, None)
    assert result["principalId"] == USER and result["context"] == {"userId": USER}
    (statement,) = result["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "arn:aws:execute-api:cn-north-1:1:api/dev/$connect"


@pytest.mark.parametrize("kind", ["expired", "other_key", "missing", "garbage"])
def test_authorizer_denies_without_raising(cloud: WsConnections, kind: str) -> None:
    key = jwt_key(get_settings())
    token = {
        "expired": issue_token(USER, key, datetime.now(UTC) - timedelta(hours=1), 60),
        "other_key": issue_token(USER, b"x" * 32, datetime.now(UTC), 600),
        "missing": None,
        "garbage": "a.b.c",
    }[kind]
    query = {"token": token} if token else None
    result = authorizer.handler({"methodArn": "arn:x", "queryStringParameters": query}, None)
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert "context" not in result


def test_authorizer_denies_a_logged_out_token(cloud: WsConnections, redis_url: str) -> None:
    key, now = jwt_key(get_settings()), datetime.now(UTC)
    logged_out, other = issue_token(USER, key, now, 600), issue_token(USER, key, now, 600)
    revoke(redis_client(redis_url), verify_token(logged_out, key, now), now)  # what POST /auth/logout does

    def effect(token: str) -> str:
        result = authorizer.handler({"methodArn": "arn:x", "queryStringParameters": {"token": token}}, None)
        return result["policyDocument"]["Statement"][0]["Effect"]

    assert effect(logged_out) == "Deny"
    assert effect(other) == "Allow"  # the user's other sessions are untouched


def test_authorizer_denies_when_redis_is_unreachable(cloud: WsConnections, monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue_token(USER, jwt_key(get_settings()), datetime.now(UTC), 600)
    monkeypatch.setenv("QC_REDIS_URL", "redis://127.0.0.1:1/0")  # revocations cannot be read: fail closed
    get_settings.cache_clear()
    result = authorizer.handler({"methodArn": "arn:x", "queryStringParameters": {"token": token}}, None)
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_authorizer_denies_when_the_key_is_unreadable(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QC_AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("QC_JWT_SECRET_ID", "no/such/secret")
    get_settings.cache_clear()
    forget_jwt_key()
    try:
        result = authorizer.handler({"methodArn": "arn:x", "queryStringParameters": {"token": "a.b.c"}}, None)
    finally:
        get_settings.cache_clear()
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_connect_subscribe_unsubscribe_disconnect(cloud: WsConnections) -> None:
    cid = "Y29ubmVjdGlvbi0x"
    assert connect.handler(event(cid, "$connect", headers={}, **{"requestContext": {
        **event(cid, "$connect")["requestContext"], "authorizer": {"userId": USER}}}), None) == {"statusCode": 200}
    assert cloud.get(cid)["user_id"] == USER

    body = json.dumps({"action": "subscribe", "topics": ["tick.cu1801", "bar.cu1801"]})
    assert default.handler(event(cid, "$default", body=body), None) == {"statusCode": 200}
    assert cloud.subscribers("tick.cu1801") == [cid] and cloud.subscribers("bar.cu1801") == [cid]
    assert cloud.topics_of(cid) == {"tick.cu1801", "bar.cu1801"}

    body = json.dumps({"action": "unsubscribe", "topics": ["tick.cu1801"]})
    default.handler(event(cid, "$default", body=body), None)
    assert cloud.subscribers("tick.cu1801") == [] and cloud.topics_of(cid) == {"bar.cu1801"}

    assert sent_to(cid) == [{"type": "subscribed", "topics": ["tick.cu1801", "bar.cu1801"]},
                            {"type": "unsubscribed", "topics": ["tick.cu1801"]}]

    disconnect.handler(event(cid, "$disconnect"), None)
    assert cloud.get(cid) is None and cloud.subscribers("bar.cu1801") == []
    disconnect.handler(event(cid, "$disconnect"), None)  # twice: still fine


def test_bad_message_gets_an_error_reply_not_a_crash(cloud: WsConnections) -> None:
    cid = "Y29ubmVjdGlvbi0y"
    cloud.add(cid, USER, datetime.now(UTC))
    assert default.handler(event(cid, "$default", body="{oops"), None) == {"statusCode": 400}
    assert default.handler(event(cid, "$default", body=json.dumps(
        {"action": "subscribe", "topics": ["tick.cu1801", "depth.cu1801"]})), None) == {"statusCode": 400}
    first, second = sent_to(cid)
    assert first["type"] == "error" and first["error"]["code"] == "invalid_input"
    assert "depth.cu1801" in second["error"]["message"]
    assert cloud.topics_of(cid) == set()  # nothing half-subscribed


def test_connect_without_authorizer_context_is_refused(cloud: WsConnections) -> None:
    assert connect.handler(event("Y29ubmVjdGlvbi0z", "$connect"), None)["statusCode"] == 401
    assert cloud.get("Y29ubmVjdGlvbi0z") is None


def test_connect_echoes_an_offered_subprotocol_never_the_token(cloud: WsConnections) -> None:
    ctx = {**event("Y29ubmVjdGlvbi00", "$connect")["requestContext"], "authorizer": {"userId": USER}}
    result = connect.handler({"requestContext": ctx, "headers": {"Sec-WebSocket-Protocol": "bearer, h.p.s"}}, None)
    assert result["headers"] == {"Sec-WebSocket-Protocol": "bearer"}
