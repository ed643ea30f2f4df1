"""The WebSocket API through the local gateway: authorizer, routes, Management API."""
from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import mangum
import pytest
from botocore.exceptions import ClientError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from infra.local.emulation import Emulation
from shared.adapters.secrets import jwt_key
from shared.adapters.ws_connections import WsConnections
from shared.auth.tokens import issue_token

pytestmark = pytest.mark.e2e


async def recv_json(ws: ClientConnection, timeout_s: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout_s))


async def refused_status(url: str) -> int:
    """The HTTP status of a refused upgrade (or 1008 when the server closed after accepting)."""
    try:
        async with connect(url) as ws:
            await asyncio.wait_for(ws.recv(), 5)  # accepted and left open: not refused
    except TimeoutError:
        return 101
    except InvalidStatus as exc:
        return exc.response.status_code
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else 0
    return 101


def wait_for(predicate: Any, timeout_s: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def management(emulation: Emulation) -> Any:
    return boto3.client("apigatewaymanagementapi", region_name=emulation.settings.aws_region,
                        endpoint_url=emulation.settings.ws_management_url)


@pytest.mark.parametrize("kind", ["expired", "tampered", "missing", "garbage"])
def test_connect_without_a_valid_token_is_refused_never_500(emulation: Emulation, kind: str) -> None:
    key = jwt_key(emulation.settings)
    tokens = {
        "expired": issue_token("7b0c52a4-3c51-4f0e-9d8c-2f1e8a7e0c11", key,
                               datetime.now(UTC) - timedelta(hours=2), 60),
        "tampered": issue_token("7b0c52a4-3c51-4f0e-9d8c-2f1e8a7e0c11", b"k" * 32, datetime.now(UTC), 600),
        "missing": None,
        "garbage": "not-a-token",
    }
    token = tokens[kind]
    url = emulation.config.ws_url + (f"?token={token}" if token else "")
    assert asyncio.run(refused_status(url)) in (401, 403, 1008)


def test_a_logged_out_token_no_longer_opens_a_connection(emulation: Emulation) -> None:
    import httpx

    user = {"username": "e2e-logout", "password": "a-long-e2e-passphrase"}
    with httpx.Client(base_url=emulation.config.http_url, timeout=30) as http:
        assert http.post("/auth/register", json=user).status_code in (200, 201)
        token = http.post("/auth/login", json=user).json()["access_token"]
        url = f"{emulation.config.ws_url}?token={token}"

        async def opens() -> bool:
            async with connect(url) as ws:
                await ws.send(json.dumps({"action": "subscribe", "topics": ["tick.cu1801"]}))
                return (await recv_json(ws))["type"] == "subscribed"

        assert asyncio.run(opens())
        assert http.post("/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert asyncio.run(refused_status(url)) in (401, 403)


def test_subscribe_ack_error_reply_and_unsubscribe(emulation: Emulation, token: str) -> None:
    store = WsConnections.from_settings(emulation.settings)

    async def session() -> list[dict[str, Any]]:
        replies = []
        async with connect(f"{emulation.config.ws_url}?token={token}") as ws:
            await ws.send("this is not json")
            replies.append(await recv_json(ws))
            await ws.send(json.dumps({"action": "subscribe", "topics": ["quote.cu1801"]}))
            replies.append(await recv_json(ws))
            await ws.send(json.dumps({"action": "subscribe", "topics": ["tick.MA801", "bar.MA801"]}))
            replies.append(await recv_json(ws))
            replies.append({"subscribers": await asyncio.to_thread(store.subscribers, "tick.MA801")})
            await ws.send(json.dumps({"action": "unsubscribe", "topics": ["tick.MA801"]}))
            replies.append(await recv_json(ws))
            replies.append({"subscribers": await asyncio.to_thread(store.subscribers, "tick.MA801")})
        return replies

    not_json, bad_topic, subscribed, during, unsubscribed, after = asyncio.run(session())
    assert not_json["type"] == "error" and not_json["error"]["code"] == "invalid_input"
    assert bad_topic["type"] == "error" and "quote.cu1801" in bad_topic["error"]["message"]
    assert subscribed == {"type": "subscribed", "topics": ["tick.MA801", "bar.MA801"]}
    assert len(during["subscribers"]) == 1
    assert unsubscribed == {"type": "unsubscribed", "topics": ["tick.MA801"]}
    assert after["subscribers"] == []
    # $disconnect removed the connection's remaining subscription too
    assert wait_for(lambda: store.subscribers("bar.MA801") == [])


def test_management_api_get_post_delete_and_410_after_close(emulation: Emulation, token: str) -> None:
    store = WsConnections.from_settings(emulation.settings)
    api = management(emulation)

    async def session() -> tuple[str, dict[str, Any], dict[str, Any], int | None]:
        async with connect(f"{emulation.config.ws_url}?token={token}") as ws:
            await ws.send(json.dumps({"action": "subscribe", "topics": ["bar.SR801"]}))
            await recv_json(ws)
            (connection_id,) = await asyncio.to_thread(store.subscribers, "bar.SR801")
            info = await asyncio.to_thread(api.get_connection, ConnectionId=connection_id)
            await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=b'{"hello": 1}')
            pushed = await recv_json(ws)
            await asyncio.to_thread(api.delete_connection, ConnectionId=connection_id)
            try:
                await asyncio.wait_for(ws.recv(), 5)
                closed_code = None
            except ConnectionClosed as exc:
                closed_code = exc.rcvd.code if exc.rcvd else None
        return connection_id, info, pushed, closed_code

    connection_id, info, pushed, closed_code = asyncio.run(session())
    assert "ConnectedAt" in info and info["Identity"]["SourceIp"] == "127.0.0.1"
    assert pushed == {"hello": 1}
    assert closed_code == 1000
    with pytest.raises(ClientError) as gone:
        api.post_to_connection(ConnectionId=connection_id, Data=b"{}")
    assert gone.value.response["Error"]["Code"] == "GoneException"
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    with pytest.raises(ClientError) as unknown:
        api.post_to_connection(ConnectionId="bm90LWEtY29ubmVjdGlvbg==", Data=b"{}")
    assert unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    assert wait_for(lambda: store.get(connection_id) is None)


def test_websocket_events_never_reach_mangum(emulation: Emulation, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []
    original = mangum.Mangum.__call__

    def spy(self: mangum.Mangum, event: dict[str, Any], context: Any) -> Any:
        seen.append(event)
        return original(self, event, context)

    monkeypatch.setattr(mangum.Mangum, "__call__", spy)

    async def session() -> None:
        async with connect(f"{emulation.config.ws_url}?token={token}") as ws:
            await ws.send(json.dumps({"action": "ping"}))
            assert await recv_json(ws) == {"type": "pong"}

    asyncio.run(session())
    import httpx

    assert httpx.get(f"{emulation.config.http_url}/health").status_code == 200
    time.sleep(0.3)  # let $disconnect run
    # the HTTP request went through Mangum; no CONNECT/MESSAGE/DISCONNECT event did
    assert len(seen) == 1 and seen[0]["version"] == "2.0"
    assert not [e for e in seen if "eventType" in e.get("requestContext", {})]


def test_token_in_sec_websocket_protocol_as_browsers_send_it(emulation: Emulation, token: str) -> None:
    async def session() -> tuple[str | None, dict[str, Any]]:
        async with connect(emulation.config.ws_url, subprotocols=["bearer", token]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"action": "ping"}))
            return ws.subprotocol, await recv_json(ws)

    subprotocol, reply = asyncio.run(session())
    assert subprotocol == "bearer"  # echoed back, never the token itself
    assert reply == {"type": "pong"}
