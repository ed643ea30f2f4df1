"""Tokens: HS256 only, every kind of bad token refused with Unauthorized."""
from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.auth.tokens import issue_token, verify_token
from shared.errors import Unauthorized

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
NOW = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_round_trip_carries_user_and_expiry() -> None:
    token = issue_token("u-1", KEY, NOW, 3600)
    claims = verify_token(token, KEY, NOW + timedelta(seconds=10))
    assert claims.user_id == "u-1"
    assert claims.expires_at == datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    payload = _claims(token)
    assert payload["iat"] == int(NOW.timestamp()) and payload["exp"] == payload["iat"] + 3600
    assert payload["jti"] == claims.jti
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_each_token_has_its_own_jti() -> None:
    assert _claims(issue_token("u", KEY, NOW, 60))["jti"] != _claims(issue_token("u", KEY, NOW, 60))["jti"]


@pytest.mark.parametrize("after_s", [3600, 3601, 86400])
def test_expired_token_refused(after_s: int) -> None:
    token = issue_token("u", KEY, NOW, 3600)
    with pytest.raises(Unauthorized, match="expired"):
        verify_token(token, KEY, NOW + timedelta(seconds=after_s))


def test_token_checked_against_real_clock_by_default() -> None:
    token = issue_token("u", KEY, datetime.now(UTC) - timedelta(hours=2), 3600)
    with pytest.raises(Unauthorized, match="expired"):
        verify_token(token, KEY)


def test_token_from_the_future_refused() -> None:
    token = issue_token("u", KEY, NOW + timedelta(minutes=5), 3600)
    with pytest.raises(Unauthorized, match="future"):
        verify_token(token, KEY, NOW)


def test_tampered_payload_refused() -> None:
    header, payload, signature = issue_token("victim", KEY, NOW, 3600).split(".")
    forged = dict(_claims(f"{header}.{payload}.{signature}"), sub="attacker")
    with pytest.raises(Unauthorized, match="signature"):
        verify_token(f"{header}.{_b64(forged)}.{signature}", KEY, NOW)


def test_flipped_signature_refused() -> None:
    token = issue_token("u", KEY, NOW, 3600)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(Unauthorized):
        verify_token(flipped, KEY, NOW)


def test_other_key_refused() -> None:
    with pytest.raises(Unauthorized, match="signature"):
        verify_token(issue_token("u", OTHER_KEY, NOW, 3600), KEY, NOW)


def test_alg_none_with_empty_signature_refused() -> None:
    good = _claims(issue_token("u", KEY, NOW, 3600))
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(good)}."
    with pytest.raises(Unauthorized, match="algorithm"):
        verify_token(unsigned, KEY, NOW)


def test_other_hmac_algorithm_refused() -> None:
    payload = _claims(issue_token("u", KEY, NOW, 3600))
    with pytest.raises(Unauthorized, match="algorithm"):
        verify_token(jwt.encode(payload, KEY * 2, algorithm="HS512"), KEY, NOW)


@pytest.mark.parametrize("missing", ["sub", "iat", "exp", "jti"])
def test_missing_claim_refused(missing: str) -> None:
    payload = _claims(issue_token("u", KEY, NOW, 3600))
    del payload[missing]
    with pytest.raises(Unauthorized, match=missing):
        verify_token(jwt.encode(payload, KEY, algorithm="HS256"), KEY, NOW)


@pytest.mark.parametrize(("claim", "value"), [("sub", 42), ("jti", ""), ("exp", "tomorrow"), ("iat", True)])
def test_mistyped_claim_refused(claim: str, value: object) -> None:
    payload = _claims(issue_token("u", KEY, NOW, 3600))
    payload[claim] = value
    with pytest.raises(Unauthorized):
        verify_token(jwt.encode(payload, KEY, algorithm="HS256"), KEY, NOW)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x.y.z", "...."])
def test_malformed_token_refused(garbage: str) -> None:
    with pytest.raises(Unauthorized):
        verify_token(garbage, KEY, NOW)


def test_issue_requires_aware_time_and_positive_ttl() -> None:
    with pytest.raises(ValueError):
        issue_token("u", KEY, datetime(2026, 1, 5), 60)
    with pytest.raises(ValueError):
        issue_token("u", KEY, NOW, 0)


@pytest.mark.parametrize("exp", [1e30, 1e308])
def test_expiry_beyond_any_date_is_refused_not_a_crash(exp: float) -> None:
    payload = _claims(issue_token("u", KEY, NOW, 3600)) | {"exp": exp}
    with pytest.raises(Unauthorized, match="out of range"):
        verify_token(jwt.encode(payload, KEY, algorithm="HS256"), KEY, NOW)
