"""The ``$connect`` REQUEST authorizer: a valid access token or no connection.

Browsers cannot set headers on a WebSocket upgrade, so the token comes in the
query string (``?token=...``) or as an item of ``Sec-WebSocket-Protocol``.
A missing, expired or tampered token gets a Deny policy (API Gateway answers
403); the function never raises for a bad token. Authorisation happens only
here: later messages on the connection carry ``userId`` from this context.

Revocation (logout) is not checked: these Lambdas run outside the VPC and
cannot reach Redis; a revoked token's connection lasts at most until the
token's expiry would have refused it anyway.
"""
from __future__ import annotations

import logging
from typing import Any

from shared.adapters.secrets import jwt_key
from shared.auth.tokens import verify_token
from shared.errors import QuantcloudError
from shared.settings import get_settings

log = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    resource = event.get("methodArn") or "*"
    token = token_from(event)
    if token is None:
        return policy("anonymous", "Deny", resource)
    try:
        claims = verify_token(token, jwt_key(get_settings()))
    except QuantcloudError as exc:  # Unauthorized, or ServiceUnavailable when the key is unreadable
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
