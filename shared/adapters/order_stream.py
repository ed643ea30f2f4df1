"""The order stream: order commands for the daemon on a Redis Stream (consumer group ``daemon``).

An entry has one field, ``command``: JSON with ``action`` ("insert" or "cancel")
and the order's fields (``OrderRequest.from_json``) or the order to cancel
(``idempotency_key``). Delivery is at least once; the daemon makes it exactly
once at the broker through the idempotency key.
"""
from __future__ import annotations

import json
from typing import Any

import redis

GROUP = "daemon"


def enqueue(client: redis.Redis, stream: str, action: str, fields: dict[str, Any]) -> str:
    """Append one command; returns the entry id."""
    entry_id = client.xadd(stream, {"command": json.dumps({"action": action, **fields})})
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


def parse_entry(fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(action, fields)`` of one stream entry; ``("invalid", {...})`` when it cannot be read."""
    try:
        command = json.loads(fields.get("command", ""))
        if not isinstance(command, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        return "invalid", {"error": f"command is not a JSON object: {exc}"}
    return str(command.pop("action", "insert")), command
