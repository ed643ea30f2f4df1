"""A local API Gateway WebSocket API, with its Management API.

``ws://host:port/<stage>``: the ``$connect`` authorizer runs first and a Deny
refuses the upgrade with HTTP 403 (an authorizer that raises "Unauthorized"
gives 401), as API Gateway does, before any socket exists; then ``$connect``,
one ``$default`` event per message and ``$disconnect`` when the socket closes.
The Management API (``/<stage>/@connections/{id}``: POST, GET, DELETE) is what
the daemon's boto3 client talks to; it answers 410 Gone for closed or unknown
connections. moto cannot do this: it owns no sockets.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from infra.local.ws_events import authorizer_allows, connect_event, disconnect_event, message_event, request_event

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's limit for one WebSocket frame / PostToConnection


@dataclass(frozen=True)
class WsHandlers:
    authorizer: Handler
    connect: Handler
    default: Handler
    disconnect: Handler


@dataclass
class Connection:
    socket: WebSocket
    identity: dict[str, str]
    connected_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_active_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def new_connection_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(12)).decode()


def create_app(handlers: WsHandlers, stage: str = "dev", region: str = "cn-north-1") -> Starlette:
    connections: dict[str, Connection] = {}

    async def socket_endpoint(websocket: WebSocket) -> None:
        connection_id = new_connection_id()
        base = request_event(websocket, connection_id, stage)
        identity = base["requestContext"]["identity"]
        status, context = await _authorize(handlers.authorizer, base, region, stage)
        if status != 200:
            await _deny(websocket, status)
            return
        base = connect_event(base, context)
        try:
            result = await anyio.to_thread.run_sync(handlers.connect, base, None)
        except Exception:
            log.exception("$connect failed")
            await _deny(websocket, 500)
            return
        code = int((result or {}).get("statusCode", 200))
        if not 200 <= code < 300:
            await _deny(websocket, code)
            return
        subprotocol = ((result or {}).get("headers") or {}).get("Sec-WebSocket-Protocol")
        await websocket.accept(subprotocol=subprotocol)
        conn = connections[connection_id] = Connection(websocket, identity)
        close_code = 1000
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    close_code = int(message.get("code", 1000))
                    break
                conn.last_active_at = datetime.now(UTC)
                await _dispatch(handlers.default, message_event(base, message), conn, connection_id)
        except WebSocketDisconnect as exc:
            close_code = exc.code
        finally:
            connections.pop(connection_id, None)
            try:
                await anyio.to_thread.run_sync(handlers.disconnect, disconnect_event(base, close_code), None)
            except Exception:
                log.exception("$disconnect failed")

    async def management(request: Request) -> Response:
        connection_id = request.path_params["connection_id"]
        conn = connections.get(connection_id)
        if conn is None:
            return _gone()
        if request.method == "GET":
            # the wire names are camelCase (boto3 shows them as ConnectedAt, Identity.SourceIp, ...)
            return JSONResponse({"connectedAt": conn.connected_at.isoformat(), "identity": conn.identity,
                                 "lastActiveAt": conn.last_active_at.isoformat()})
        if request.method == "DELETE":
            connections.pop(connection_id, None)
            async with conn.lock:
                await conn.socket.close(1000)
            return Response(status_code=204)
        data = await request.body()
        if len(data) > MAX_MESSAGE_BYTES:
            return _error(413, "PayloadTooLargeException", "message exceeds 128 KB")
        try:
            async with conn.lock:
                await _send(conn.socket, data)
        except Exception:  # the socket closed between lookup and send
            connections.pop(connection_id, None)
            return _gone()
        return Response(status_code=200)

    return Starlette(routes=[
        WebSocketRoute(f"/{stage}", socket_endpoint),
        Route(f"/{stage}/@connections/{{connection_id}}", management, methods=["GET", "POST", "DELETE"]),
    ])


async def _authorize(authorizer: Handler, base: dict[str, Any], region: str, stage: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, authorizer context): 200 when allowed, 401/403 when refused, 500 when broken."""
    method_arn = f"arn:aws:execute-api:{region}:000000000000:local/{stage}/$connect"
    try:
        result = await anyio.to_thread.run_sync(authorizer, {"type": "REQUEST", "methodArn": method_arn, **base}, None)
    except Exception as exc:
        if str(exc) == "Unauthorized":  # API Gateway's convention for "no or bad credentials"
            return 401, {}
        log.exception("authorizer failed")
        return 500, {}
    if not authorizer_allows(result):
        return 403, {}
    return 200, {**(result.get("context") or {}), "principalId": result.get("principalId")}


async def _dispatch(default: Handler, event: dict[str, Any], conn: Connection, connection_id: str) -> None:
    try:
        await anyio.to_thread.run_sync(default, event, None)
    except Exception:
        log.exception("$default failed")
        # what API Gateway sends the client when the integration fails
        reply = {"message": "Internal server error", "connectionId": connection_id,
                 "requestId": event["requestContext"]["requestId"]}
        async with conn.lock:
            await conn.socket.send_text(json.dumps(reply))


async def _send(socket: WebSocket, data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        await socket.send_bytes(data)
    else:
        await socket.send_text(text)


async def _deny(websocket: WebSocket, status: int) -> None:
    messages = {401: "Unauthorized", 403: "Forbidden", 500: "Internal server error"}
    await websocket.send_denial_response(
        JSONResponse({"message": messages.get(status, "Forbidden")}, status_code=status))


def _gone() -> Response:
    return _error(410, "GoneException", None)


def _error(status: int, error_type: str, message: str | None) -> Response:
    return JSONResponse({"message": message}, status_code=status, headers={"x-amzn-ErrorType": error_type})
