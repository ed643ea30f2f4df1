"""vn.py's DataManager CSV layout (no symbol, exchange or trading day columns) through ``quantcloud import bars``."""
from __future__ import annotations

import csv
import gzip
from datetime import date
from pathlib import Path

import psycopg

from shared.adapters.csv_import import import_bars
from shared.cli import main
from shared.domain.instruments import Exchange

ROOT = Path(__file__).parents[4]
COPPER = ROOT / "data" / "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"
# Friday 2021-01-08's night session belongs to Monday 2021-01-11 (data file's trading_day column)
DAYS = {"20210108", "20210111"}


def vnpy_file(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The copper rows of DAYS rewritten in vn.py's export columns; returns the file and datetime -> trading_day."""
    expected = {}
    path = tmp_path / "cu_main_vnpy.csv.gz"
    with gzip.open(COPPER, "rt", newline="") as src, gzip.open(path, "wt", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["datetime", "open", "high", "low", "close", "volume", "turnover", "open_interest"])
        for row in csv.DictReader(src):
            if row["trading_day"] in DAYS:
                stamp = row["datetime"].replace("T", " ")
                expected[stamp] = row["trading_day"]
                writer.writerow([stamp, row["open"], row["high"], row["low"], row["close"], row["volume"],
                                 row["turnover"], row["open_interest"]])
    return path, expected


def test_vnpy_layout_gets_trading_days_from_the_calendar(db: psycopg.Connection, tmp_path: Path) -> None:
    path, expected = vnpy_file(tmp_path)
    report = import_bars(db, path, symbol_exchange=("cu_main", Exchange.SHFE), progress=False)
    assert (report.read, report.added, report.malformed) == (465 * 2, 465 * 2, [])
    stored = db.execute("SELECT to_char(ts AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
                        " to_char(trading_day, 'YYYYMMDD') FROM bars_1m").fetchall()
    assert dict(stored) == expected
    # Friday night's first bar belongs to Monday
    assert expected["2021-01-08 21:00:00"] == "20210111"
    assert db.execute("SELECT DISTINCT trading_day FROM bars_1m ORDER BY 1").fetchall() == [
        (date(2021, 1, 8),), (date(2021, 1, 11),)]
    again = import_bars(db, path, symbol_exchange=("cu_main", Exchange.SHFE), progress=False)
    assert (again.added, again.skipped) == (0, 930)


def test_vnpy_layout_through_the_cli_reports_bad_lines(database_url: str, db: psycopg.Connection,
                                                      tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("datetime,open,high,low,close,volume,turnover,open_interest\n"
                    "2021-01-08 21:00:00,58220,58280,58200,58270,1898,,\n"
                    "2021-01-08 21:01:00,58270,58360,58270,x,1096,,\n"
                    "yesterday,58270,58360,58270,58300,1096,,\n")
    assert main(["import", "bars", str(path), "--symbol-exchange", "cu_main.SHFE", "--no-progress",
                 "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    assert "read 3, added 1" in out
    assert "line 3: close is not a number: 'x'" in out
    assert "line 4: datetime is not ISO 8601: 'yesterday'" in out
    assert db.execute("SELECT trading_day FROM bars_1m").fetchall() == [(date(2021, 1, 11),)]
