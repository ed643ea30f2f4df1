"""Operations: the locale check runs before openctp is imported, and CTP settings from Secrets Manager."""
from __future__ import annotations

import json
import subprocess
import sys

import boto3
import pytest

from gateway_daemon.ctp.config import load_ctp_config
from gateway_daemon.ctp.locale_guard import CtpLocaleMissing, locale_available, require_ctp_locale
from shared.errors import InvalidInput
from shared.settings import Settings


def test_missing_locale_is_a_clear_error_not_an_abort() -> None:
    assert locale_available("zh_CN.GB18030")
    with pytest.raises(CtpLocaleMissing, match="locale-gen"):
        require_ctp_locale("xx_NO.NOPE")


def test_daemon_exits_2_with_a_message_when_the_locale_is_missing() -> None:
    code = ("import gateway_daemon.ctp.locale_guard as g; g.CTP_LOCALE = 'xx_NO.NOPE'; "
            "g.require_ctp_locale.__defaults__ = ('xx_NO.NOPE',); "
            "import sys; from gateway_daemon.__main__ import main; sys.exit(main(['--source', 'ctp']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    record = json.loads(done.stderr.strip().splitlines()[-1])
    assert record["event"] == "ctp_locale_missing" and "xx_NO.NOPE" in record["message"]
    assert "openctp_ctp" not in done.stderr


def test_ctp_settings_from_the_secret(aws) -> None:
    sm = boto3.client("secretsmanager", region_name="cn-north-1")
    arn = sm.create_secret(Name="quantcloud/ctp", SecretString=json.dumps({
        "broker_id": "9999", "user_id": "000001", "password": "s3cret", "app_id": "client_qc_1.0",
        "auth_code": "0000000000000000", "md_fronts": ["tcp://180.168.146.187:10211"],
        "td_fronts": "tcp://180.168.146.187:10201,tcp://180.168.146.187:10202"}))["ARN"]
    config = load_ctp_config(Settings(ctp_secret_id=arn, ctp_symbols="rb2405,cu2405", daemon_state_dir="/tmp/x"))
    assert (config.broker_id, config.app_id, config.auth_code) == ("9999", "client_qc_1.0", "0000000000000000")
    assert config.td_fronts == ("tcp://180.168.146.187:10201", "tcp://180.168.146.187:10202")
    assert config.symbols == ("rb2405", "cu2405") and config.flow_dir == "/tmp/x/flow"
    assert "s3cret" not in repr(config)


def test_missing_settings_are_named() -> None:
    with pytest.raises(InvalidInput, match="broker_id, user_id, password, md_fronts, td_fronts"):
        load_ctp_config(Settings())


@pytest.mark.parametrize(("healthy", "ready", "code", "status"), [
    (True, True, 200, "ok"),
    (True, False, 200, "degraded"),  # a closed front at night: nothing a restart would fix
    (False, False, 503, "failed"),  # the AuthCode was refused (ErrorID 63): only a person can fix it
])
def test_health_endpoint(healthy: bool, ready: bool, code: int, status: str) -> None:
    import asyncio

    from gateway_daemon.health import serve_health

    async def ask() -> tuple[int, dict]:
        server = await serve_health(0, lambda: {"td": {"state": "auth_rejected"}}, lambda: healthy, lambda: ready)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = await reader.read()
        writer.close()
        server.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        return int(head.split()[1]), json.loads(body)

    got_code, body = asyncio.run(ask())
    assert got_code == code and body == {"status": status, "td": {"state": "auth_rejected"}}


def test_log_lines_from_processes_sharing_stderr_never_merge(tmp_path) -> None:
    # the market-data processes write to one stderr; a record and its newline must be one write
    script = ("from gateway_daemon.logs import log\n"
              "for i in range(20000):\n"
              "    log('tick_batch', n=i, shard=SHARD)\n")
    out = tmp_path / "shared.log"
    with open(out, "ab") as stderr:
        writers = [subprocess.Popen([sys.executable, "-c", script.replace("SHARD", str(k))], stderr=stderr)
                   for k in range(2)]
        assert [w.wait(timeout=60) for w in writers] == [0, 0]
    lines = out.read_text().splitlines()
    assert len(lines) == 40000
    assert sorted(json.loads(line)["shard"] for line in lines) == [0] * 20000 + [1] * 20000


def test_tune_gc_takes_start_up_out_of_the_collectors_sight() -> None:
    # in a fresh interpreter: the setting is process-wide
    probe = ("import gc, json; import gateway_daemon.service; from gateway_daemon.gc_tuning import tune_gc; "
             "before = gc.get_freeze_count(); tune_gc(); "
             "print(json.dumps([before, gc.get_freeze_count(), gc.get_threshold()]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    before, frozen, threshold = json.loads(out)
    assert before == 0 and frozen > 10_000  # the imports' objects (pandas, numpy, ...) are frozen
    assert threshold[0] == 20_000
