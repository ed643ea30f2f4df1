"""``--source ctp``: both CTP sessions, the tick pipeline, order intake, heartbeat and health.

Shutdown (SIGTERM/SIGINT): stop taking orders, stop market data (the pipeline
drains and the sinks flush), log the trader out, exit 0.
"""
from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

from gateway_daemon.ctp.config import CtpConfig, load_ctp_config
from gateway_daemon.ctp.md_session import MdSession, create_md_api
from gateway_daemon.ctp.td_session import TraderSession, create_trader_api
from gateway_daemon.feed import TickFeed
from gateway_daemon.health import heartbeat, serve_health
from gateway_daemon.logs import log
from gateway_daemon.md_shards import MdShards, share, shard_journal
from gateway_daemon.service import serve
from gateway_daemon.trading.events import EventPublisher
from gateway_daemon.trading.intake import OrderIntake
from gateway_daemon.trading.manager import OrderManager
from shared.adapters.db import database_url
from shared.settings import Settings


async def run_ctp(settings: Settings, *, config: CtpConfig | None = None,
                  md_api_factory: Callable[[str], Any] = create_md_api,
                  td_api_factory: Callable[[str], Any] = create_trader_api,
                  query_interval_s: float = 1.0) -> int:
    config = config or load_ctp_config(settings)
    loop = asyncio.get_running_loop()
    feed = TickFeed(loop)
    db_url = database_url(settings)
    count = max(1, settings.daemon_md_processes)
    md = MdSession(config, share(config.symbols, 0, count), api_factory=md_api_factory)
    shards = MdShards(settings, config, count, md_api_factory)

    def more_symbols(symbols: list[str], exchanges: dict[str, str]) -> None:
        md.exchanges.update(exchanges)
        listed = [] if config.symbols else symbols  # nothing configured: every futures contract the broker lists
        shards.add_symbols(listed, exchanges)
        if listed:
            md.add_symbols(share(listed, 0, count))

    intake: OrderIntake | None = None
    events = EventPublisher(settings.redis_url)
    manager = OrderManager(db_url, events, account=config.account,
                           ack=lambda entry_id: intake.ack(entry_id) if intake else None, on_symbols=more_symbols)
    td = TraderSession(config, manager, api_factory=td_api_factory, query_interval_s=query_interval_s)
    intake = OrderIntake(settings.redis_url, settings.order_stream, td.command)

    def state() -> dict[str, Any]:
        return {"md": {"logged_in": md.logged_in.is_set(), "received": md.received, "disconnects": md.disconnects,
                       "other_processes_alive": shards.alive()},
                "td": {"state": td.state, "front_id": td.front_id, "session_id": td.session_id,
                       "reconciled": manager.reconciled},
                "orders": {"pending_stream_entries": len(manager.waiting) + len(manager.held)}}

    stop = asyncio.Event()
    stopping = False

    def request_stop(signame: str) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        log("stop_requested", signal=signame)
        intake.stop(timeout_s=0)  # no new orders
        shards.terminate()  # each drains, flushes and logs out as this process does
        md.stop()  # END_OF_SOURCE: the pipeline drains, then the sinks flush
        feed.close()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop, sig.name)
    tasks = [asyncio.create_task(heartbeat(settings.redis_url, state, stop))]
    server = None
    if settings.daemon_health_port:
        server = await serve_health(settings.daemon_health_port, state,
                                    lambda: not td.auth_fatal and all(shards.alive()),
                                    lambda: md.logged_in.is_set() and td.ready.is_set())
    shards.start()
    td.start()
    intake.start()
    journal_dir = shard_journal(settings.daemon_state_dir, 0)
    def order_events_to(pusher: Any) -> None:  # the pusher lives on the loop; events come from the trader thread
        events.offer = lambda topic, message: loop.call_soon_threadsafe(pusher.offer, topic, message)

    await serve(md, feed, settings, journal_dir=journal_dir, on_pusher=order_events_to)
    codes = await asyncio.to_thread(shards.stop)
    if codes:
        log("md_shards_stopped", exit_codes=codes)
    await asyncio.to_thread(td.stop)  # logs out
    stop.set()
    await asyncio.gather(*tasks)
    if server is not None:
        server.close()
    log("daemon_exited", orders_sent=len(manager.sent))
    return 0
