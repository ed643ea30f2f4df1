"""Structured logs: one JSON object per line on stderr (CloudWatch and ``jq`` read them as they are)."""
from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from typing import Any

_lock = threading.Lock()
context: dict[str, Any] = {}  # fields on every line of this process (a market-data shard sets "shard")


def log(event: str, level: str = "info", **fields: Any) -> None:
    """Write ``{"ts", "level", "event", ...fields}`` as one line."""
    record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "level": level, "event": event, **context,
              **fields}
    line = json.dumps(record, default=str, separators=(",", ":")) + "\n"
    with _lock:
        # one write with its newline: print() writes the text and the newline separately, and the
        # market-data processes share stderr, so two records could land on one line between them
        sys.stderr.write(line)
        sys.stderr.flush()
