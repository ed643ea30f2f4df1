"""Names of the realtime topics clients subscribe to: ``tick.<symbol>``, ``bar.<symbol>`` and
``backtest.<id>`` (a backtest's progress, pushed by its workers).

The same names are the Redis channels the daemon publishes on and the
``topic`` field of every WebSocket message pushed to clients.
"""
from __future__ import annotations

import re

from shared.errors import InvalidInput

TOPIC_KINDS = ("tick", "bar", "backtest", "order")
# contract codes as the exchanges write them (cu1801, MA801, IF1711) or a continuous series (cu_main)
_SYMBOL = re.compile(r"^[A-Za-z]{1,4}(\d{3,4}|_main)$")
_USER = re.compile(r"^[A-Za-z0-9-]{1,64}$")  # order.<user id>: the user's own order and trade events
_BACKTEST_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def tick_topic(symbol: str) -> str:
    return f"tick.{symbol}"


def bar_topic(symbol: str) -> str:
    return f"bar.{symbol}"


def order_topic(user_id: str) -> str:
    """A user's own order and trade events (the daemon publishes; only that user may subscribe)."""
    return f"order.{user_id}"


def backtest_topic(backtest_id: str) -> str:
    return f"backtest.{backtest_id}"


_EXPECTED = {"tick": "a contract code such as cu1801 or cu_main", "bar": "a contract code such as cu1801 or cu_main",
             "backtest": "a backtest id (a UUID)", "order": "your user id"}


def parse_topic(topic: object) -> tuple[str, str]:
    """``"tick.cu1801"`` -> ``("tick", "cu1801")``; InvalidInput naming the topic otherwise."""
    if not isinstance(topic, str):
        raise InvalidInput(f"topic must be a string like 'tick.cu1801', got {_shown(topic)}", {"topic": _shown(topic)})
    kind, _, symbol = topic.partition(".")
    if kind not in TOPIC_KINDS:
        raise InvalidInput(
            f"unknown topic {_shown(topic)}: expected tick.<symbol>, bar.<symbol>, backtest.<id> or order.<user id>, "
            "e.g. tick.cu1801", {"topic": _shown(topic)})
    name = _BACKTEST_ID if kind == "backtest" else _USER if kind == "order" else _SYMBOL
    if not name.fullmatch(symbol):  # fullmatch: '$' alone also matches before a final newline
        raise InvalidInput(f"topic {_shown(topic)}: after '{kind}.' comes {_EXPECTED[kind]}", {"topic": _shown(topic)})
    return kind, symbol


def _shown(value: object, limit: int = 80) -> str:
    """``repr`` cut to ``limit`` characters: an error reply must fit in one WebSocket message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
