from __future__ import annotations

import pytest

from shared.domain.topics import bar_topic, parse_topic, tick_topic
from shared.errors import InvalidInput


@pytest.mark.parametrize(("topic", "expected"), [
    ("tick.cu1801", ("tick", "cu1801")),
    ("bar.MA801", ("bar", "MA801")),  # CZCE: one-digit year
    ("tick.IF1711", ("tick", "IF1711")),
    ("bar.cu_main", ("bar", "cu_main")),
])
def test_valid_topics(topic: str, expected: tuple[str, str]) -> None:
    assert parse_topic(topic) == expected


@pytest.mark.parametrize("topic", ["quote.cu1801", "tick.", "tick", "tick.cu", "tick.cu1801;drop", 42, None,
                                   "tick.cu1801.x", "tick.cu1801\n", "order.me\n"])
def test_invalid_topics_name_the_topic(topic: object) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_topic(topic)
    assert repr(topic) in err.value.message


def test_topic_names() -> None:
    assert tick_topic("rb1805") == "tick.rb1805"
    assert bar_topic("rb1805") == "bar.rb1805"


def test_a_bad_topic_says_which_part_is_wrong() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_topic("tick.nosuch")
    assert "after 'tick.' comes a contract code such as cu1801" in err.value.message


def test_a_huge_topic_is_cut_in_the_error_so_the_reply_fits_a_websocket_message() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_topic("tick." + "a" * 70_000)
    assert len(err.value.message) < 300 and len(str(err.value.details)) < 200
