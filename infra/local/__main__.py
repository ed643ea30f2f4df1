"""``python -m infra.local up|demo``: the local emulation (moto, gateways, daemon) on one machine."""
from __future__ import annotations

import argparse
import signal
import socket
import sys
import threading
import time

from infra.local.emulation import ROOT, DaemonConfig, Emulation, EmulationConfig, free_port


def _port(requested: int, host: str, fallback: bool) -> int:
    """``requested`` if it is free; with ``fallback``, any free port instead of failing."""
    with socket.socket() as s:
        try:
            s.bind((host, requested))
            return requested
        except OSError:
            if not fallback:
                raise SystemExit(f"port {requested} is in use; pass another one (see --help)") from None
    return free_port(host)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__)
    parser.add_argument("command", choices=["up", "demo"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--http-port", type=int, default=8000)
    parser.add_argument("--ws-port", type=int, default=8001)
    parser.add_argument("--moto-port", type=int, default=4566)
    parser.add_argument("--speed", type=float, default=None, help="replay speed (default: up 1, demo 30)")
    parser.add_argument("--no-daemon", action="store_true", help="do not start the replay daemon")
    args = parser.parse_args(argv)

    demo = args.command == "demo"
    host = args.host
    daemon = None if args.no_daemon else DaemonConfig(
        speed=args.speed or (30.0 if demo else 1.0), loop=True,
        log_path=ROOT / ".state" / "daemon.log" if demo else None)
    config = EmulationConfig(host=host, http_port=_port(args.http_port, host, demo),
                             ws_port=_port(args.ws_port, host, demo), moto_port=_port(args.moto_port, host, demo),
                             daemon=daemon)
    started = time.monotonic()
    emulation = Emulation(config)
    try:
        emulation.start()
        print(f"emulation up in {time.monotonic() - started:.1f} s: HTTP {config.http_url}, "
              f"WebSocket {config.ws_url}, moto http://{host}:{emulation.moto.port}", flush=True)
        if demo:
            from infra.local.demo import run_demo

            code = run_demo(emulation)
            print(f"\ndemo finished in {time.monotonic() - started:.1f} s, exit code {code}")
            return code
        from infra.local.demo import import_bars

        count, first, last = import_bars(emulation.settings.database_url)  # idempotent: quick when present
        print(f"   cu_main 1-minute bars stored: {count:,}, {first} .. {last}", flush=True)
        _print_usage(config)
        _wait_for_ctrl_c()
        return 0
    finally:
        emulation.stop()


def _print_usage(config: EmulationConfig) -> None:
    api = config.http_url
    print(f"""
  API        {api}   (docs: {api}/docs)
  WebSocket  {config.ws_url}?token=<access_token>
  try:
    curl -s -X POST {api}/auth/register -H 'content-type: application/json' -d '{{"username":"me","password":"a-long-passphrase"}}'
    TOKEN=$(curl -s -X POST {api}/auth/login -H 'content-type: application/json' \\
            -d '{{"username":"me","password":"a-long-passphrase"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    curl -s "{api}/market/klines?symbol=cu_main&period=5m&indicators=ma,macd,rsi&limit=5" -H "Authorization: Bearer $TOKEN"
  (the bundled copper sample is loaded; more with: .venv/bin/quantcloud import bars FILE)
  Ctrl-C stops everything.""", flush=True)


def _wait_for_ctrl_c() -> None:
    stop = threading.Event()
    # set explicitly: a shell that starts us in the background leaves SIGINT ignored
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass
    print("stopping ...", flush=True)


if __name__ == "__main__":
    sys.exit(main())
