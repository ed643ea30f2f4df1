"""The real CTP service (``gateway_daemon.ctp_service.run_ctp``) over the fake front, as its own process,
so tests can SIGKILL it: ``python fake_daemon.py BROKER_JSON FIRST_ROW LAST_ROW``.

The fake MD front connects at Init and, once cu1801 is subscribed, sends the
data file's cu1801 rows FIRST_ROW..LAST_ROW. The fake broker lives in
BROKER_JSON, so what it received survives the kill. Settings come from QC_* env.
"""
from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

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


class AutoTrader(FakeTraderApi):
    def Init(self) -> None:
        self.connect()


def main() -> int:
    broker_path, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    settings = get_settings()
    rows = load_rows(DATA, ["cu1801"])[first:last]
    config = CtpConfig(broker_id="9999", user_id="000001", password="pw", app_id="qc", auth_code="x",
                       md_fronts=("tcp://md:1",), td_fronts=("tcp://td:1",), symbols=("cu1801",),
                       flow_dir=f"{settings.daemon_state_dir}/flow")
    md = ScriptedMd(rows)
    broker = FakeBroker(broker_path)
    return asyncio.run(run_ctp(settings, config=config, md_api_factory=lambda flow: md,
                               td_api_factory=lambda flow: AutoTrader(broker), query_interval_s=0.05))


if __name__ == "__main__":
    sys.exit(main())
