"""Order intake: a Redis Stream read through a consumer group, at least once.

On start the consumer first takes over every entry another (dead) consumer of
the group left unacknowledged (``XAUTOCLAIM``), then re-reads its own pending
entries, then new ones. Each entry goes to ``submit(action, (entry_id, fields))``
(the trader session's inbox); the order side acknowledges it once the order's
fate is recorded, so an entry is never lost, and the idempotency key stops a
second delivery from reaching the broker.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import redis

from gateway_daemon.logs import log
from shared.adapters.order_stream import GROUP, parse_entry

Submit = Callable[[str, tuple[str, dict[str, Any]]], None]


class OrderIntake:
    def __init__(self, redis_url: str, stream: str, submit: Submit, *, consumer: str = "daemon-1",
                 block_ms: int = 500) -> None:
        self._redis = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=5)
        self.stream = stream
        self.consumer = consumer
        self._submit = submit
        self._block_ms = block_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reclaimed = 0
        self.delivered = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="order-intake", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def ack(self, entry_id: str) -> None:
        try:
            self._redis.xack(self.stream, GROUP, entry_id)
        except redis.RedisError as exc:  # pending stays pending: the next start re-delivers and the key dedups
            log("order_ack_failed", "warning", entry_id=entry_id, error=str(exc))

    def ensure_group(self) -> None:
        try:
            self._redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _run(self) -> None:
        recovered = False
        while not self._stop.is_set():
            try:
                if not recovered:
                    self.ensure_group()
                    self._recover()
                    recovered = True
                batches = self._redis.xreadgroup(GROUP, self.consumer, {self.stream: ">"}, count=100,
                                                 block=self._block_ms)
                for _, entries in batches or []:
                    for entry_id, fields in entries:
                        self._deliver(entry_id, fields)
            except redis.RedisError as exc:
                log("order_intake_unavailable", "warning", error=str(exc))
                recovered = False  # re-read what is pending once Redis is back
                self._stop.wait(1.0)

    def _recover(self) -> None:
        start = "0-0"
        while True:  # entries a dead consumer read and never acknowledged
            next_start, claimed, *_ = self._redis.xautoclaim(self.stream, GROUP, self.consumer, min_idle_time=0,
                                                             start_id=start, count=100)
            self.reclaimed += len(claimed)
            if next_start in ("0-0", b"0-0") or not claimed:
                break
            start = next_start
        for _, entries in self._redis.xreadgroup(GROUP, self.consumer, {self.stream: "0"}, count=10_000) or []:
            if entries:
                log("order_intake_pending", entries=len(entries))
            for entry_id, fields in entries:
                if fields:  # a deleted entry comes back with no fields
                    self._deliver(entry_id, fields)

    def _deliver(self, entry_id: str, fields: dict[str, Any]) -> None:
        self.delivered += 1
        action, payload = parse_entry(fields)
        self._submit(action, (entry_id, payload))
