"""The real CTP library calling our MdSpi from its own thread keeps one Python thread state there.

No CTP front runs here, but the real MdApi connects to any TCP listener; one that closes each connection
makes CTP's own (non-Python) thread call ``OnFrontDisconnected`` about once a second as it reconnects.
"""
from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from gateway_daemon.ctp import md_session
from gateway_daemon.ctp.config import CtpConfig
from gateway_daemon.ctp.md_session import MdSession
from gateway_daemon.feed import TickFeed


@pytest.fixture
def closing_front():
    """tcp://127.0.0.1:<port> that accepts and then closes every connection."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            time.sleep(0.05)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def _disconnects_seen_by_ctp_thread(front: str, flow_dir: str, count: int) -> list[tuple[int, bool, int | None]]:
    """(thread id, started outside Python, the thread-local left by the previous callback) per callback."""
    config = CtpConfig(broker_id="b", user_id="u", password="p", md_fronts=(front,), td_fronts=(), flow_dir=flow_dir)
    session = MdSession(config, ["cu1801"])
    local = threading.local()
    seen: list[tuple[int, bool, int | None]] = []
    on_disconnected = session.on_disconnected

    def record(reason: int) -> None:
        seen.append((threading.get_ident(), isinstance(threading.current_thread(), threading._DummyThread),
                     getattr(local, "mark", None)))
        local.mark = len(seen)
        on_disconnected(reason)

    session.on_disconnected = record  # type: ignore[method-assign]
    loop = asyncio.new_event_loop()
    try:
        session.start(TickFeed(loop))
        deadline = time.monotonic() + 20
        while len(seen) < count and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        session.stop()
        loop.close()
    assert len(seen) >= count, f"CTP called OnFrontDisconnected {len(seen)} times in 20 s"
    return seen[:count]


def test_ctp_thread_keeps_its_python_state_between_callbacks(closing_front, tmp_path) -> None:
    seen = _disconnects_seen_by_ctp_thread(closing_front, str(tmp_path), 3)
    threads = {ident for ident, _, _ in seen}
    assert len(threads) == 1 and threading.get_ident() not in threads
    assert all(foreign for _, foreign, _ in seen)  # CTP's thread, not one Python started
    assert [mark for _, _, mark in seen] == [None, 1, 2]  # each callback finds what the one before left


def test_without_keeping_it_each_callback_gets_a_new_state(closing_front, tmp_path, monkeypatch) -> None:
    # what keep_thread_state() prevents: SWIG's director makes and deletes a thread state per callback
    monkeypatch.setattr(md_session, "keep_thread_state", lambda: None)
    seen = _disconnects_seen_by_ctp_thread(closing_front, str(tmp_path), 2)
    assert [mark for _, _, mark in seen] == [None, None]
