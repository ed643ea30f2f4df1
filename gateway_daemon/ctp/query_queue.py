"""CTP query flow control: one query in flight, about one per second; a -2/-3 return means "later".

The queue is driven by its owner's thread (``pump`` with the current time);
it never sleeps itself, so tests drive it with a fake clock.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from gateway_daemon.ctp.codes import FLOW_CONTROL
from gateway_daemon.logs import log


@dataclass
class _Query:
    name: str
    send: Callable[[], int]  # returns ReqQry*'s code
    attempts: int = 0


class QueryQueue:
    def __init__(self, interval_s: float = 1.0, answer_timeout_s: float = 30.0) -> None:
        self.interval_s = interval_s
        self.answer_timeout_s = answer_timeout_s
        self._queue: deque[_Query] = deque()
        self._in_flight: str | None = None
        self._sent_at = float("-inf")
        self.sent: list[str] = []  # names in the order they left, retries included
        self.retries = 0

    def add(self, name: str, send: Callable[[], int]) -> None:
        self._queue.append(_Query(name, send))

    def done(self, name: str) -> None:
        """The last answer of ``name`` arrived."""
        if self._in_flight == name:
            self._in_flight = None

    def clear(self) -> None:
        """A disconnect: answers will not come; the owner queues again after the next login."""
        self._queue.clear()
        self._in_flight = None

    @property
    def idle(self) -> bool:
        return not self._queue and self._in_flight is None

    def next_due(self, now: float) -> float | None:
        """When ``pump`` should run next (None: nothing to do until an answer or a new query)."""
        if not self._queue:
            return None
        if self._in_flight is not None:
            return self._sent_at + self.answer_timeout_s
        return max(now, self._sent_at + self.interval_s)

    def pump(self, now: float) -> None:
        if not self._queue:
            return
        if self._in_flight is not None:
            if now - self._sent_at < self.answer_timeout_s:
                return
            log("ctp_query_timeout", "warning", query=self._in_flight)
            self._in_flight = None
        if now - self._sent_at < self.interval_s:
            return
        query = self._queue[0]
        query.attempts += 1
        code = query.send()
        self._sent_at = now
        self.sent.append(query.name)
        if code in FLOW_CONTROL:
            self.retries += 1
            log("ctp_query_throttled", "info", query=query.name, code=code, attempts=query.attempts)
            return  # stays first; tried again after interval_s
        self._queue.popleft()
        if code != 0:
            log("ctp_query_failed", "warning", query=query.name, code=code)
            return
        self._in_flight = query.name
