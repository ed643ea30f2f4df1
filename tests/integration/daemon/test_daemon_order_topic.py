"""Order events over the WebSocket: a connection may subscribe to ``order.<its own user id>`` only."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "realtime"))

from test_realtime_ws_handlers import MANAGEMENT, USER, cloud, event, sent_to  # noqa: E402,F401

from functions.ws import default  # noqa: E402
from shared.adapters.ws_connections import WsConnections  # noqa: E402


def test_own_order_topic_only(cloud: WsConnections) -> None:  # noqa: F811
    from datetime import UTC, datetime

    cloud.add("c1", USER, datetime.now(UTC))
    mine = default.handler(event("c1", "$default", body=json.dumps({"action": "subscribe",
                                                                     "topics": [f"order.{USER}"]})), None)
    other = default.handler(event("c1", "$default", body=json.dumps({"action": "subscribe",
                                                                      "topics": ["order.someone-else"]})), None)
    assert mine["statusCode"] == 200 and other["statusCode"] == 400
    assert cloud.subscribers(f"order.{USER}") == ["c1"]
    replies = sent_to("c1")
    assert replies[0] == {"type": "subscribed", "topics": [f"order.{USER}"]}
    assert "belongs to another user" in replies[1]["error"]["message"]
