"""Registration, login and logout.

Each action writes its audit row before the response leaves: a Lambda is
frozen once it has answered, so nothing may be left to run afterwards.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from functions.api.deps import CurrentClaims, DbDep, JwtKeyDep, RedisDep, SettingsDep
from functions.api.errors import error_responses
from shared.adapters.pg_users import find_user, register_user, write_audit
from shared.adapters.token_revocations import revoke
from shared.auth.passwords import burn_verification_time, hash_password, verify_password
from shared.auth.tokens import issue_token
from shared.errors import Conflict, Unauthorized

router = APIRouter(prefix="/auth", tags=["auth"])

USERNAME_PATTERN = r"^[A-Za-z0-9_.\-]{3,32}$"


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=32, pattern=USERNAME_PATTERN,
                          description="3-32 characters: letters, digits, `_`, `.`, `-`", examples=["trader_01"])
    # the upper bound only keeps a request from making the server hash megabytes
    password: str = Field(min_length=8, max_length=1024, description="at least 8 characters",
                          examples=["correct horse battery"])


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class RegisteredUser(BaseModel):
    id: str = Field(description="the user's id (UUID)")
    username: str


class AccessToken(BaseModel):
    access_token: str = Field(description="HS256 JWT; send as `Authorization: Bearer <access_token>`")
    token_type: str = Field("bearer", description="always `bearer`")
    expires_in: int = Field(description="seconds until the token expires")


class LoggedOut(BaseModel):
    status: str = Field("logged_out", description="the token is revoked until it would have expired")


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=RegisteredUser,
             summary="Create a user",
             description="Creates a user with an Argon2id-hashed password. 409 when the username is taken.",
             responses=error_responses(400, 409, 503))
def register(body: Credentials, conn: DbDep) -> RegisteredUser:
    try:
        user = register_user(conn, body.username, hash_password(body.password))  # with its audit row
    except Conflict:
        write_audit(conn, "register_rejected", None, {"username": body.username, "reason": "username taken"})
        raise
    return RegisteredUser(id=user.id, username=user.username)


@router.post("/login", response_model=AccessToken, summary="Log in and get an access token",
             description="Checks the password and returns a bearer token valid for `expires_in` seconds. "
                         "401 for an unknown user or a wrong password (the same answer for both).",
             responses=error_responses(400, 401, 503))
def login(body: LoginRequest, conn: DbDep, key: JwtKeyDep, settings: SettingsDep) -> AccessToken:
    # a name that could never have been registered is simply unknown (and never reaches SQL)
    user = find_user(conn, body.username) if re.fullmatch(USERNAME_PATTERN, body.username) else None
    if user is None:
        burn_verification_time(body.password)
    if user is None or not verify_password(user.password_hash, body.password):
        write_audit(conn, "login_failed", user.id if user else None, {"username": _storable(body.username)})
        raise Unauthorized("invalid username or password")
    token = issue_token(user.id, key, datetime.now(UTC), settings.jwt_ttl_s)
    write_audit(conn, "login", user.id, {"username": user.username})
    return AccessToken(access_token=token, token_type="bearer", expires_in=settings.jwt_ttl_s)


def _storable(text: str) -> str:
    # jsonb holds no NUL character; keep the attempt's name readable rather than drop the audit row
    return text.replace("\x00", "\\u0000")


@router.post("/logout", response_model=LoggedOut, summary="Revoke the current token",
             description="Revokes the bearer token sent with this request; later requests with it get 401.",
             responses=error_responses(401, 503))
def logout(claims: CurrentClaims, conn: DbDep, store: RedisDep) -> LoggedOut:
    revoke(store, claims, datetime.now(UTC))
    write_audit(conn, "logout", claims.user_id, {"jti": claims.jti})
    return LoggedOut()
