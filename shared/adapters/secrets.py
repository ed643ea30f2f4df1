"""The JWT signing key, kept in AWS Secrets Manager (moto locally).

The secret's ``SecretString`` is the hex of at least 32 random bytes. The
key is read once per process (a Lambda container) and kept; a missing,
unreadable or too short key is ``ServiceUnavailable``: the service refuses
to sign or accept tokens rather than fall back to a weak key.
"""
from __future__ import annotations

import functools
import secrets
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.adapters.aws import client
from shared.errors import ServiceUnavailable
from shared.settings import Settings

MIN_KEY_BYTES = 32  # HS256 wants a key at least as long as its 256-bit output


def jwt_key(settings: Settings) -> bytes:
    """The HS256 key named by ``settings.jwt_secret_id``, cached per process."""
    return _load_key(settings.jwt_secret_id, settings.aws_region, settings.aws_endpoint_url)


def forget_jwt_key() -> None:
    """Drop the cached key (tests that create a new secret; a key rotation)."""
    _load_key.cache_clear()


@functools.cache
def _load_key(secret_id: str, region: str, endpoint_url: str | None) -> bytes:
    sm = client("secretsmanager", region, endpoint_url)
    try:
        value = sm.get_secret_value(SecretId=secret_id)["SecretString"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise ServiceUnavailable(f"JWT key secret {secret_id!r} unreadable ({code})") from exc
    except BotoCoreError as exc:
        raise ServiceUnavailable("Secrets Manager unreachable") from exc
    return parse_key(value, secret_id)


def parse_key(secret_string: str, secret_id: str = "") -> bytes:
    """The key bytes from the secret's hex text; ServiceUnavailable when unusable."""
    try:
        key = bytes.fromhex(secret_string.strip())
    except (ValueError, AttributeError) as exc:
        raise ServiceUnavailable(f"JWT key secret {secret_id!r} is not hex") from exc
    if len(key) < MIN_KEY_BYTES:
        raise ServiceUnavailable(
            f"JWT key secret {secret_id!r} holds {len(key)} bytes; at least {MIN_KEY_BYTES} are required")
    return key


def create_jwt_secret(sm_client: Any, secret_id: str) -> str:
    """Create the secret with a fresh random key unless it exists; return its ARN.

    An existing secret is kept as it is, so provisioning twice does not log everybody out.
    """
    try:
        created = sm_client.create_secret(Name=secret_id, SecretString=secrets.token_bytes(MIN_KEY_BYTES).hex())
        return created["ARN"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceExistsException":
            raise
        return sm_client.describe_secret(SecretId=secret_id)["ARN"]
