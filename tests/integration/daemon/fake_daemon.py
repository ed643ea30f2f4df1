"""The real CTP service (``gateway_daemon.ctp_service.run_ctp``) over the fake front, as its own process,
so tests can SIGKILL it: ``python fake_daemon.py BROKER_JSON FIRST_ROW LAST_ROW [SYMBOL ...]``.

The fake MD front connects at Init and, once a contract is subscribed, sends the
data file's rows FIRST_ROW..LAST_ROW of the contracts (default cu1801) that its
session subscribed. The fake broker lives in BROKER_JSON, so what it received
survives the kill. Settings come from QC_* env (QC_DAEMON_MD_PROCESSES: each
market-data process builds its own fake front through ``scripted_md``).
"""
from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import functools  # noqa: E402

from ctp_fake import FakeBroker, FakeMdApi, FakeTraderApi  # noqa: E402

from gateway_daemon.ctp.config import CtpConfig  # noqa: E402
from gateway_daemon.ctp_service import run_ctp  # noqa: E402
from gateway_daemon.replay import load_rows  # noqa: E402
from shared.settings import get_settings  # noqa: E402

DATA = str(Path(__file__).parents[3] / "data" / "ticks_ctp_5_contracts_20171113.csv.gz")


class ScriptedMd(FakeMdApi):
    def __init__(self, rows: list[dict]) -> None:
        super().__init__()
        self.rows = rows

    def Init(self) -> None:
        self.connect()

    def SubscribeMarketData(self, symbols: list[bytes], count: int) -> int:
        code = super().SubscribeMarketData(symbols, count)
        threading.Thread(target=self._send, daemon=True).start()
        return code

    def _send(self) -> None:
        for row in self.rows:
            self.quote(row)


def scripted_md(symbols: tuple[str, ...], first: int, last: int, flow_dir: str) -> ScriptedMd:
    """An MdApi factory that can cross into a spawned process (by name, with its arguments)."""
    return ScriptedMd(load_rows(DATA, list(symbols))[first:last])


class AutoTrader(FakeTraderApi):
    def Init(self) -> None:
        self.connect()


def main() -> int:
    broker_path, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    symbols = tuple(sys.argv[4:]) or ("cu1801",)
    settings = get_settings()
    config = CtpConfig(broker_id="9999", user_id="000001", password="pw", app_id="qc", auth_code="x",
                       md_fronts=("tcp://md:1",), td_fronts=("tcp://td:1",), symbols=symbols,
                       flow_dir=f"{settings.daemon_state_dir}/flow")
    broker = FakeBroker(broker_path)
    return asyncio.run(run_ctp(settings, config=config, md_api_factory=functools.partial(scripted_md, symbols, first, last),
                               td_api_factory=lambda flow: AutoTrader(broker), query_interval_s=0.05))


if __name__ == "__main__":
    sys.exit(main())
