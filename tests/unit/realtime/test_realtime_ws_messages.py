"""The $default route's message parsing and the authorizer's policy (no AWS needed)."""
from __future__ import annotations

import pytest

from functions.ws.authorizer import policy, token_from
from functions.ws.default import parse_message
from infra.local.ws_events import authorizer_allows
from shared.errors import InvalidInput


def test_subscribe_message() -> None:
    assert parse_message('{"action": "subscribe", "topics": ["tick.cu1801", "bar.cu1801", "tick.cu1801"]}') == (
        "subscribe", ["tick.cu1801", "bar.cu1801"])


@pytest.mark.parametrize(("body", "words"), [
    ("not json", "not JSON"),
    ("[1, 2]", "JSON object"),
    ('{"action": "buy"}', "unknown action 'buy'"),
    ('{"action": "subscribe"}', "'topics'"),
    ('{"action": "subscribe", "topics": []}', "'topics'"),
    ('{"action": "subscribe", "topics": ["tick.cu1801", "candle.cu1801"]}', "candle.cu1801"),
    ("[" * 100_000 + "]" * 100_000, "not JSON"),  # deeper than the parser goes: RecursionError, was a 500
])
def test_bad_messages_say_what_is_wrong(body: str, words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_message(body)
    assert words in err.value.message


def test_token_from_query_string_or_subprotocol() -> None:
    assert token_from({"queryStringParameters": {"token": "a.b.c"}}) == "a.b.c"
    assert token_from({"headers": {"Sec-WebSocket-Protocol": "bearer, x.y.z"}}) == "x.y.z"
    assert token_from({"queryStringParameters": None, "headers": {}}) is None


def test_policies() -> None:
    allow = policy("u1", "Allow", "arn:x", {"userId": "u1"})
    deny = policy("anonymous", "Deny", "arn:x")
    assert allow["context"] == {"userId": "u1"}
    assert authorizer_allows(allow) and not authorizer_allows(deny)
    assert not authorizer_allows({"principalId": "u1"}) and not authorizer_allows(None)
    both = {"policyDocument": {"Statement": [{"Effect": "Allow"}, {"Effect": "Deny"}]}}
    assert not authorizer_allows(both)  # an explicit Deny wins
