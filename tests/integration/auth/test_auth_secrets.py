"""The JWT key lives in Secrets Manager (moto here) and must be >= 32 bytes."""
from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from shared.adapters.secrets import create_jwt_secret, forget_jwt_key, jwt_key
from shared.errors import ServiceUnavailable
from shared.settings import Settings

SECRET_ID = "quantcloud/jwt-test"


@pytest.fixture
def sm(aws: None) -> Iterator[object]:
    forget_jwt_key()
    yield boto3.client("secretsmanager", region_name="cn-north-1")
    forget_jwt_key()


def _settings() -> Settings:
    return Settings(jwt_secret_id=SECRET_ID)


def test_key_is_the_secrets_random_bytes(sm) -> None:
    create_jwt_secret(sm, SECRET_ID)
    stored = sm.get_secret_value(SecretId=SECRET_ID)["SecretString"]
    key = jwt_key(_settings())
    assert len(key) == 32 and key == bytes.fromhex(stored)
    assert key != b"\x00" * 32


def test_creating_twice_keeps_the_first_key(sm) -> None:
    arn = create_jwt_secret(sm, SECRET_ID)
    first = sm.get_secret_value(SecretId=SECRET_ID)["SecretString"]
    assert create_jwt_secret(sm, SECRET_ID) == arn
    assert sm.get_secret_value(SecretId=SECRET_ID)["SecretString"] == first


def test_key_is_cached_per_process(sm) -> None:
    create_jwt_secret(sm, SECRET_ID)
    key = jwt_key(_settings())
    sm.put_secret_value(SecretId=SECRET_ID, SecretString="ab" * 40)
    assert jwt_key(_settings()) == key
    forget_jwt_key()
    assert jwt_key(_settings()) == b"\xab" * 40


@pytest.mark.parametrize("value", ["secret".encode().hex(), "00" * 31, "not hex at all", "  "])
def test_short_or_unreadable_key_refused(sm, value: str) -> None:
    sm.create_secret(Name=SECRET_ID, SecretString=value)
    with pytest.raises(ServiceUnavailable, match="JWT key"):
        jwt_key(_settings())


def test_missing_secret_is_service_unavailable(sm) -> None:
    with pytest.raises(ServiceUnavailable, match="unreadable"):
        jwt_key(_settings())
