"""Market data over several processes: one CTP MdApi session per process, each over a share of the contracts.

One Python process holds one GIL, and the tick path (SPI copy, parse, clean,
bars, JSON, journal, Redis, PostgreSQL) is Python work per tick; a second
process uses the second core. A contract belongs to shard
``crc32(symbol) % count``, the same in every run. Shard 0 runs in the main
process beside the trader; shards 1.. are child processes, each with its own
MdApi (own flow directory), pipeline, pusher and journal
(``<state>/journal/md-<k>``: a journal left by a crash is replayed by the same
shard at the next start). Contracts the trader learns later (the instrument
query) reach their shard through a pipe. A child stops like the daemon does on
SIGTERM (drain, flush, log out), which it also receives when the main process
dies.
"""
from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import signal
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

from gateway_daemon.ctp.config import CtpConfig
from gateway_daemon.feed import TickFeed
from gateway_daemon import logs
from gateway_daemon.logs import log
from shared.settings import Settings

PR_SET_PDEATHSIG = 1


def shard_of(symbol: str, count: int) -> int:
    return zlib.crc32(symbol.encode()) % count


def share(symbols: Sequence[str], index: int, count: int) -> list[str]:
    return [s for s in symbols if shard_of(s, count) == index]


def shard_journal(state_dir: str, index: int) -> str:
    return f"{state_dir}/journal" if index == 0 else f"{state_dir}/journal/md-{index}"


class MdShards:
    """The main process's handle on shards 1..count-1."""

    def __init__(self, settings: Settings, config: CtpConfig, count: int,
                 md_api_factory: Callable[[str], Any]) -> None:
        self.settings = settings
        self.config = config
        self.count = count
        self._factory = md_api_factory
        self._processes: list[multiprocessing.process.BaseProcess] = []
        self._pipes: list[Connection] = []
        self._terminated = False

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a process that holds CTP threads
        for index in range(1, self.count):
            receive, send = context.Pipe(duplex=False)
            config = replace(self.config, flow_dir=f"{self.config.flow_dir}/md-{index}")
            process = context.Process(
                target=run_shard, name=f"md-shard-{index}",
                args=(self.settings, config, index, self.count, share(self.config.symbols, index, self.count),
                      self._factory, receive))
            process.start()
            receive.close()
            self._processes.append(process)
            self._pipes.append(send)
        if self._processes:
            log("md_shards_started", shards=self.count, pids=[p.pid for p in self._processes])

    def add_symbols(self, symbols: Sequence[str], exchanges: dict[str, str]) -> None:
        """New contracts (and exchanges for feeds that leave ExchangeID empty) to the shards that own them."""
        for index, pipe in enumerate(self._pipes, start=1):
            mine = share(symbols, index, self.count)
            known = {s: e for s, e in exchanges.items() if shard_of(s, self.count) == index}
            if mine or known:
                try:
                    pipe.send((mine, known))
                except OSError as exc:
                    log("md_shard_unreachable", "error", shard=index, error=str(exc))

    def alive(self) -> list[bool]:
        return [p.is_alive() for p in self._processes]

    def terminate(self) -> None:
        """SIGTERM every shard once (they drain, flush and log out); ``stop`` waits for them."""
        if self._terminated:
            return
        self._terminated = True
        for process in self._processes:
            if process.is_alive():
                process.terminate()

    def stop(self, timeout_s: float = 30.0) -> list[int | None]:
        """SIGTERM every shard and wait; returns their exit codes."""
        self.terminate()
        for process in self._processes:
            process.join(timeout_s)
        for pipe in self._pipes:
            pipe.close()
        return [p.exitcode for p in self._processes]


def run_shard(settings: Settings, config: CtpConfig, index: int, count: int, symbols: list[str],
              md_api_factory: Callable[[str], Any], inbox: Connection) -> None:
    """A child process: one MdApi session over ``symbols`` and its own pipeline, until SIGTERM."""
    logs.context["shard"] = index
    try:  # the kernel sends SIGTERM when the main process dies, even by SIGKILL
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    code = asyncio.run(_serve_shard(settings, config, index, symbols, md_api_factory, inbox))
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopped already: a late SIGTERM must not turn 0 into -15
    raise SystemExit(code)


async def _serve_shard(settings: Settings, config: CtpConfig, index: int, symbols: list[str],
                       md_api_factory: Callable[[str], Any], inbox: Connection) -> int:
    from gateway_daemon.ctp.md_session import MdSession
    from gateway_daemon.service import serve

    loop = asyncio.get_running_loop()
    feed = TickFeed(loop)
    md = MdSession(config, symbols, api_factory=md_api_factory)
    stopping = False

    def request_stop(signame: str) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            log("stop_requested", signal=signame)
            md.stop()
            feed.close()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop, sig.name)
    threading.Thread(target=_receive, args=(inbox, md), name="md-shard-inbox", daemon=True).start()
    log("md_shard_starting", symbols=len(symbols))
    await serve(md, feed, settings, journal_dir=shard_journal(settings.daemon_state_dir, index))
    log("md_shard_exited")
    return 0


def _receive(inbox: Connection, md: Any) -> None:
    while True:
        try:
            symbols, exchanges = inbox.recv()
        except (EOFError, OSError):
            return
        md.exchanges.update(exchanges)
        if symbols:
            md.add_symbols(symbols)
