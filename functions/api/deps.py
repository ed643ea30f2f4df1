"""Request dependencies: settings, the container's connections, the caller.

Connections are the per-process ones from ``shared.adapters`` (a warm Lambda
reuses them); settings come from the app (``create_app(settings)``).
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import psycopg
import redis
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.adapters.aws import client
from shared.adapters.db import database_url, shared_connection
from shared.adapters.redis_client import redis_client
from shared.adapters.secrets import jwt_key
from shared.adapters.token_revocations import is_revoked
from shared.auth.tokens import Claims, verify_token
from shared.errors import Unauthorized
from shared.settings import Settings


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_db(settings: SettingsDep) -> psycopg.Connection:
    return shared_connection(database_url(settings))


def get_redis(settings: SettingsDep) -> redis.Redis:
    return redis_client(settings.redis_url)


def get_sfn(settings: SettingsDep) -> Any:
    return client("stepfunctions", settings.aws_region, settings.aws_endpoint_url)


def get_s3(settings: SettingsDep) -> Any:
    return client("s3", settings.aws_region, settings.aws_endpoint_url)


def get_jwt_key(settings: SettingsDep) -> bytes:
    return jwt_key(settings)


DbDep = Annotated[psycopg.Connection, Depends(get_db)]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
SfnDep = Annotated[Any, Depends(get_sfn)]
S3Dep = Annotated[Any, Depends(get_s3)]
JwtKeyDep = Annotated[bytes, Depends(get_jwt_key)]

# auto_error=False: a missing header becomes our own 401 body, not FastAPI's 403
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <access_token>` from POST /auth/login")


def current_claims(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    settings: SettingsDep,
    store: RedisDep,
) -> Claims:
    """The verified, unrevoked claims of the caller's bearer token; Unauthorized otherwise."""
    if credentials is None:
        raise Unauthorized("missing bearer token: send 'Authorization: Bearer <access_token>'")
    claims = verify_token(credentials.credentials, jwt_key(settings), datetime.now(UTC))
    if is_revoked(store, claims.jti):
        raise Unauthorized("token revoked: log in again")
    return claims


CurrentClaims = Annotated[Claims, Depends(current_claims)]
