from __future__ import annotations

from shared.auth.passwords import burn_verification_time, hash_password, verify_password


def test_hash_is_salted_argon2id_and_verifies() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$")
    assert first != second  # a fresh salt each time
    assert verify_password(first, "correct horse") and verify_password(second, "correct horse")


def test_wrong_password_or_broken_hash_is_false() -> None:
    stored = hash_password("correct horse")
    assert not verify_password(stored, "correct hors")
    assert not verify_password("not-a-hash", "correct horse")
    assert not verify_password("", "")


def test_burning_time_never_raises() -> None:
    burn_verification_time("anything")
