"""Access tokens: JWT signed with HS256 and nothing else.

A token carries ``sub`` (user id), ``iat``, ``exp`` (seconds since the epoch)
and ``jti`` (its own id, the handle for revocation). Every way a token can be
wrong (malformed, another algorithm or ``none``, bad signature, another key,
missing or mistyped claims, expired, issued in the future) raises
``Unauthorized`` with a message saying which.

Times are checked here against ``now`` (not inside PyJWT) so the caller,
and the tests, decide the clock.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt

from shared.errors import Unauthorized

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("sub", "iat", "exp", "jti")
# tolerated clock difference between the issuing and the verifying machine
CLOCK_SKEW_S = 30


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: str
    jti: str
    expires_at: datetime  # timezone-aware (UTC)


def issue_token(user_id: str, key: bytes, now: datetime, ttl_s: int) -> str:
    """A signed token for ``user_id`` valid from ``now`` for ``ttl_s`` seconds."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    iat = int(now.timestamp())
    payload = {"sub": user_id, "iat": iat, "exp": iat + ttl_s, "jti": uuid.uuid4().hex}
    return jwt.encode(payload, key, algorithm=ALGORITHM)


def verify_token(token: str, key: bytes, now: datetime | None = None) -> Claims:
    """The claims of a valid token; ``Unauthorized`` for anything else."""
    if not isinstance(token, str) or not token:
        raise Unauthorized("missing token")
    payload = _decode(token, key)
    for claim in REQUIRED_CLAIMS:
        if claim not in payload:
            raise Unauthorized(f"token lacks the required claim {claim!r}")
    sub, jti, iat, exp = payload["sub"], payload["jti"], payload["iat"], payload["exp"]
    if not isinstance(sub, str) or not sub or not isinstance(jti, str) or not jti:
        raise Unauthorized("token claims 'sub' and 'jti' must be non-empty strings")
    if not _is_number(iat) or not _is_number(exp):
        raise Unauthorized("token claims 'iat' and 'exp' must be numbers")
    now_s = (now or datetime.now(UTC)).timestamp()
    if now_s >= exp:
        raise Unauthorized("token expired")
    if iat > now_s + CLOCK_SKEW_S:
        raise Unauthorized("token issued in the future")
    try:
        expires_at = datetime.fromtimestamp(exp, UTC)
    except (OverflowError, ValueError, OSError):  # exp = 1e30: past any date Python can hold
        raise Unauthorized("token claim 'exp' is out of range") from None
    return Claims(user_id=sub, jti=jti, expires_at=expires_at)


def _decode(token: str, key: bytes) -> dict:
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            # presence is required here; times are checked by verify_token against its own clock
            options={"require": list(REQUIRED_CLAIMS), "verify_exp": False, "verify_iat": False,
                     "verify_nbf": False},
        )
    except jwt.InvalidAlgorithmError as exc:
        raise Unauthorized("token algorithm not allowed: only HS256 is accepted") from exc
    except jwt.InvalidSignatureError as exc:
        raise Unauthorized("token signature invalid") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthorized(f"token lacks the required claim {exc.claim!r}") from exc
    except jwt.DecodeError as exc:
        raise Unauthorized("token malformed") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"token invalid: {exc}") from exc


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
