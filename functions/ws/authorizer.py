"""The ``$connect`` REQUEST authorizer: a valid access token or no connection.

Browsers cannot set headers on a WebSocket upgrade, so the token comes in the
query string (``?token=...``) or as an item of ``Sec-WebSocket-Protocol``.
A missing, expired, tampered or revoked (logged out) token gets a Deny policy
(API Gateway answers 403); the function never raises for a bad token. It runs in
the VPC to read the revocations in Redis, and denies when it cannot (fails
closed, like the HTTP API). Authorisation happens only here: later messages on
the connection carry ``userId`` from this context.
"""
from __future__ import annotations

import logging
from typing import Any

from shared.adapters.redis_client import redis_client
from shared.adapters.secrets import jwt_key
from shared.adapters.token_revocations import is_revoked
from shared.auth.tokens import verify_token
from shared.errors import QuantcloudError, Unauthorized
from shared.settings import get_settings

log = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    resource = event.get("methodArn") or "*"
    token = token_from(event)
    if token is None:
        return policy("anonymous", "Deny", resource)
    settings = get_settings()
    try:
        claims = verify_token(token, jwt_key(settings))
        if is_revoked(redis_client(settings.redis_url), claims.jti):
            raise Unauthorized("token revoked: log in again")
    except QuantcloudError as exc:  # Unauthorized, or ServiceUnavailable: the key or Redis is unreachable
        log.info("ws connect refused: %s", exc.message)
        return policy("anonymous", "Deny", resource)
    return policy(claims.user_id, "Allow", resource, {"userId": claims.user_id})


def token_from(event: dict[str, Any]) -> str | None:
    """The bearer token from ``?token=`` or from the ``Sec-WebSocket-Protocol`` header."""
    query = event.get("queryStringParameters") or {}
    if query.get("token"):
        return str(query["token"])
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    for item in str(headers.get("sec-websocket-protocol", "")).split(","):
        item = item.strip()
        if item.count(".") == 2:  # a JWT: header.payload.signature
            return item
    return None


def policy(principal: str, effect: str, resource: str, context: dict[str, str] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context:
        doc["context"] = context
    return doc
