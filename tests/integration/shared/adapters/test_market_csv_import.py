"""``quantcloud import bars|ticks`` on the bundled real files and on a broken file."""
from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from shared.adapters.csv_import import import_bars, import_ticks, parse_symbol_exchange
from shared.adapters.pg_bars import PgBarStore
from shared.cli import main
from shared.domain.bars import resample
from shared.domain.instruments import Exchange
from shared.errors import InvalidInput

SH = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).parents[4]
COPPER = ROOT / "data" / "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"
TICKS = ROOT / "data" / "ticks_ctp_5_contracts_20171113.csv.gz"


def head(path: Path, lines: int) -> list[str]:
    with gzip.open(path, "rt", newline="") as f:
        return [next(f) for _ in range(lines)]


def test_copper_import_is_idempotent(db: psycopg.Connection) -> None:
    first = import_bars(db, COPPER, progress=False)
    assert (first.read, first.added, first.skipped, first.malformed) == (123_855, 123_855, 0, [])
    assert first.instruments_created == ["cu_main"]
    second = import_bars(db, COPPER, progress=False)
    assert (second.read, second.added, second.skipped) == (123_855, 0, 123_855)

    assert db.execute("SELECT count(*), sum(volume) FROM bars_1m").fetchone()[0] == 123_855
    assert db.execute("SELECT exchange, product, multiplier, price_tick FROM instruments").fetchall() == [
        ("SHFE", "cu", 5.0, 10.0)]
    # what the API will serve: the daily bar of trading day 2021-01-05, from the stored minutes
    minutes = PgBarStore(db).minute_bars("cu_main", datetime(2021, 1, 4, tzinfo=SH), datetime(2021, 1, 6, tzinfo=SH))
    daily = resample(minutes, "1d")
    row = daily[daily["trading_day"] == date(2021, 1, 5)].iloc[0]
    assert (row["open"], row["high"], row["low"], row["close"], row["volume"]) == (
        58220.0, 58550.0, 57710.0, 58110.0, 103527)


def test_tick_import_cleans_and_is_idempotent(db: psycopg.Connection) -> None:
    first = import_ticks(db, TICKS, progress=False)
    assert (first.read, first.added, first.skipped, first.malformed) == (181_672, 181_660, 0, [])
    # data README: exact duplicates; post-close snapshots (cu, rb 15:22:06; i 15:00:25; IF 15:24:25, 15:27:51)
    assert dict(first.dropped) == {"duplicate": 7, "outside_session": 5}
    assert sorted(first.instruments_created) == ["IF1711", "MA801", "cu1801", "i1801", "rb1805"]
    counts = dict(db.execute("SELECT symbol, count(*) FROM ticks GROUP BY symbol").fetchall())
    assert counts == {"cu1801": 39_261 - 3, "rb1805": 41_298 - 3, "i1801": 42_649 - 2, "MA801": 41_171 - 2,
                      "IF1711": 17_293 - 2}
    specs = db.execute("SELECT symbol, exchange, multiplier, price_tick FROM instruments ORDER BY symbol").fetchall()
    assert specs == [("IF1711", "CFFEX", 300.0, 0.2), ("MA801", "CZCE", 10.0, 1.0), ("cu1801", "SHFE", 5.0, 10.0),
                     ("i1801", "DCE", 100.0, 0.5), ("rb1805", "SHFE", 10.0, 1.0)]
    # cu's night runs past midnight into Saturday 2017-11-11; all of it is trading day 2017-11-13
    night = "SELECT min(ts), max(ts) FROM ticks WHERE symbol = 'cu1801' AND ts < '2017-11-12'"
    assert db.execute(night).fetchone() == (
        datetime(2017, 11, 10, 20, 59, 0, 500000, tzinfo=SH), datetime(2017, 11, 11, 1, 0, 0, 500000, tzinfo=SH))
    assert db.execute("SELECT DISTINCT trading_day FROM ticks").fetchall() == [(date(2017, 11, 13),)]
    second = import_ticks(db, TICKS, progress=False)
    assert (second.added, second.skipped) == (0, 181_660)


def test_malformed_bar_rows_are_reported_and_the_rest_loads(db: psycopg.Connection, tmp_path: Path) -> None:
    lines = head(COPPER, 6)  # header + the first 5 real bars
    lines[2] = lines[2].replace("57840.0,57700.0", "57840.0,5770O.0")  # line 3: a letter O in low
    lines[4] = lines[4].rsplit(",", 3)[0] + "\n"  # line 5: the last three fields cut off
    broken = tmp_path / "cu_broken.csv"
    broken.write_text("".join(lines))
    report = import_bars(db, broken, progress=False)
    assert [line for line, _ in report.malformed] == [3, 5]
    assert "low is not a number" in report.malformed[0][1]
    assert (report.read, report.added) == (5, 3)
    stored = db.execute("SELECT ts FROM bars_1m ORDER BY ts").fetchall()
    assert [ts.astimezone(SH).strftime("%H:%M") for (ts,) in stored] == ["09:00", "09:02", "09:04"]
    assert "line 3: low is not a number: '5770O.0'" in report.summary()


def test_impossible_bars_are_malformed(db: psycopg.Connection, tmp_path: Path) -> None:
    header, *rows = head(COPPER, 6)  # the first 5 real bars of 2021-01-04 09:00..09:04
    fields = [row.split(",") for row in rows]
    fields[0][4:8] = ["57750.0", "57600.0", "57700.0", "57650.0"]  # high 57600 below low 57700
    fields[1][1] = "20210109"                                       # a Saturday, not 2021-01-04's trading day
    fields[2][1] = "20210105"                                       # a day bar of 01-04 filed under 01-05
    fields[3][6] = "0.0"                                            # low 0
    broken = tmp_path / "cu_impossible.csv"
    broken.write_text(header + "".join(",".join(f) for f in fields))
    report = import_bars(db, broken, progress=False)
    assert [line for line, _ in report.malformed] == [2, 3, 4, 5]
    assert "high 57600.0 is below low 57700.0" in report.malformed[0][1]
    assert "trading_day 20210109 is not the trading day of a bar at 2021-01-04T09:01:00+08:00 (20210104" \
        in report.malformed[1][1]
    assert "prices must be above 0" in report.malformed[3][1]
    assert report.added == 1
    # an open or close outside high..low still loads: the copper sample has one (data/README.md), and
    # test_copper_import_is_idempotent stores all 123,855 bars


def test_malformed_tick_rows_are_reported_and_the_rest_loads(db: psycopg.Connection, tmp_path: Path) -> None:
    lines = head(TICKS, 5)
    lines[1] = lines[1].replace(",3810.0,4668,", ",3810.0,46x8,")  # line 2: Volume is not a number
    lines[3] = lines[3].replace(",21:00:01,", ",,")  # line 4: UpdateTime missing
    broken = tmp_path / "ticks_broken.csv"
    broken.write_text("".join(lines))
    report = import_ticks(db, broken, progress=False)
    assert [line for line, _ in report.malformed] == [2, 4]
    assert "Volume" in report.malformed[0][1] and "UpdateTime" in report.malformed[1][1]
    assert (report.read, report.added) == (4, 2)


def test_symbol_exchange_override(db: psycopg.Connection, tmp_path: Path) -> None:
    assert parse_symbol_exchange("cu_main.SHFE") == ("cu_main", Exchange.SHFE)
    with pytest.raises(InvalidInput):
        parse_symbol_exchange("cu_main")
    no_ids = tmp_path / "bars.csv"
    no_ids.write_text("datetime,trading_day,open,high,low,close,volume\n"
                      "2021-01-04T09:00:00,20210104,57750.0,57840.0,57680.0,57740.0,3297\n")
    report = import_bars(db, no_ids, symbol_exchange=("cu2102", Exchange.SHFE), progress=False)
    assert (report.added, report.malformed) == (1, [])
    assert db.execute("SELECT symbol, exchange, product FROM instruments").fetchall() == [("cu2102", "SHFE", "cu")]


def test_cli_prints_the_summary(database_url: str, db: psycopg.Connection, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    small = tmp_path / "cu_small.csv"
    small.write_text("".join(head(COPPER, 11)))
    assert main(["import", "bars", str(small), "--no-progress", "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    assert "read 10, added 10, skipped (already present) 0, malformed 0" in out
    # the module entry point, as a user runs it; the progress bar goes to stderr
    done = subprocess.run([sys.executable, "-m", "shared.cli", "import", "bars", str(small), "--database-url",
                           database_url], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "read 10, added 0, skipped (already present) 10, malformed 0" in done.stdout
    assert "import bars" in done.stderr
    assert main(["import", "ticks", str(tmp_path / "missing.csv"), "--database-url", database_url]) == 2


def test_a_file_of_the_other_kind_is_one_clear_error_and_stores_nothing(db: psycopg.Connection) -> None:
    with pytest.raises(InvalidInput, match="not a bar file: its header has no datetime, open, high, low, close.*"
                                           "use 'import ticks'"):
        import_bars(db, TICKS, progress=False)
    with pytest.raises(InvalidInput, match="not a tick file.*use 'import bars'"):
        import_ticks(db, COPPER, progress=False)
    assert db.execute("SELECT (SELECT count(*) FROM bars_1m) + (SELECT count(*) FROM ticks)").fetchone() == (0,)


def test_a_bom_an_impossible_symbol_and_an_overflowing_volume(db: psycopg.Connection, tmp_path: Path) -> None:
    header, *rows = head(COPPER, 4)
    fields = [row.split(",") for row in rows]
    fields[0][2] = "cu\x00main"   # PostgreSQL cannot store a NUL: it crashed the import
    fields[1][8] = "1e30"          # past bigint: it crashed the import
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (header + "".join(",".join(f) for f in fields)).encode())  # Excel's BOM
    report = import_bars(db, path, progress=False)
    assert [line for line, _ in report.malformed] == [2, 3]
    assert "is not a contract code" in report.malformed[0][1] and "volume" in report.malformed[1][1]
    assert report.added == 1


def test_a_file_that_is_not_text_exits_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         database_url: str) -> None:
    import argparse

    from shared.cli_import import run_import

    path = tmp_path / "noise.csv"
    path.write_bytes(bytes(range(128, 256)) * 4)
    args = argparse.Namespace(kind="bars", file=str(path), symbol_exchange=None, no_progress=True, batch_rows=100)
    assert run_import(args, database_url) == 2
    assert "is not a readable CSV (UTF-8 text, plain or gzipped)" in capsys.readouterr().err
