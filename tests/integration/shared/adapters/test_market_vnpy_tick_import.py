"""vn.py's tick layout through ``quantcloud import ticks``: the real CTP sample rewritten as vn.py writes it
(calendar datetime with +08:00, cumulative volume, 0 for an absent price) stores exactly the rows the CTP
file stores."""
from __future__ import annotations

import csv
import gzip
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from shared.adapters.csv_import import import_ticks
from shared.cli import main
from shared.domain.ctp_quotes import parse_quote

SH = ZoneInfo("Asia/Shanghai")
TICKS = Path(__file__).parents[4] / "data" / "ticks_ctp_5_contracts_20171113.csv.gz"
VNPY_COLUMNS = ["symbol", "exchange", "datetime", "name", "volume", "turnover", "open_interest", "last_price",
                "last_volume", "limit_up", "limit_down", "open_price", "high_price", "low_price", "pre_close",
                "bid_price_1", "ask_price_1", "bid_volume_1", "ask_volume_1", "localtime"]
STORED = "SELECT symbol, ts, seq, trading_day, last_price, volume, cum_volume, open_interest, bid_price1," \
         " bid_volume1, ask_price1, ask_volume1 FROM ticks ORDER BY symbol, ts, seq"


def vnpy_file(tmp_path: Path) -> Path:
    path = tmp_path / "ticks_vnpy.csv.gz"
    with gzip.open(TICKS, "rt", newline="") as src, gzip.open(path, "wt", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(VNPY_COLUMNS)
        for row in csv.DictReader(src):
            quote = parse_quote(row)  # the calendar time, as vn.py's gateway works it out
            writer.writerow([row["InstrumentID"], row["ExchangeID"], str(quote.ts), "", row["Volume"], 0.0,
                             row["OpenInterest"], row["LastPrice"], 0, 0, 0, 0, 0, 0, 0, row["BidPrice1"],
                             row["AskPrice1"], row["BidVolume1"], row["AskVolume1"], ""])
    return path


def test_vnpy_ticks_store_what_the_ctp_file_stores(db: psycopg.Connection, tmp_path: Path) -> None:
    ctp = import_ticks(db, TICKS, progress=False)
    from_ctp = db.execute(STORED).fetchall()
    db.execute("DELETE FROM ticks")
    path = vnpy_file(tmp_path)
    with gzip.open(path, "rt") as f:
        f.readline()
        assert f.readline().startswith("rb1805,SHFE,2017-11-10 20:59:00.500000+08:00,")
    vnpy = import_ticks(db, path, progress=False)
    assert (vnpy.read, vnpy.added, vnpy.malformed) == (181_672, 181_660, [])
    assert vnpy.dropped == ctp.dropped == Counter({"duplicate": 7, "outside_session": 5})
    rows = db.execute(STORED).fetchall()
    assert len(rows) == 181_660
    # turnover is 0 in the rewritten file (the CTP sample has none): the rest is equal row for row
    assert rows == from_ctp
    first_night = [r for r in rows if r[0] == "cu1801"][0]
    assert first_night[1:4] == (datetime(2017, 11, 10, 20, 59, 0, 500000, tzinfo=SH), 0,
                                date(2017, 11, 13))
    again = import_ticks(db, path, progress=False)
    assert (again.added, again.skipped) == (0, 181_660)


def test_vnpy_tick_rows_with_problems_are_reported_by_line(database_url: str, db: psycopg.Connection,
                                                           tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad_ticks.csv"
    header = ",".join(["symbol", "exchange", "datetime", "volume", "turnover", "open_interest", "last_price",
                       "bid_price_1", "ask_price_1", "bid_volume_1", "ask_volume_1"])
    path.write_text(header + "\n"
                    # a Friday night tick of DCE m2405: trading day Monday 2024-01-08
                    "m2405,DCE,2024-01-05 21:05:00.500,1200,0,1500000,3000.0,2999.0,3001.0,3,4\n"
                    "m2405,DCE,2024-01-05 21:05:01.000,1210,0,1500000,3001.0,0,3002.0,0,4\n"
                    "m2405,DCX,2024-01-05 21:05:02.000,1220,0,1500000,3001.0,3000.0,3002.0,1,4\n"
                    "m2405,DCE,friday,1230,0,1500000,3001.0,3000.0,3002.0,1,4\n"
                    "m2405,DCE,2024-01-05 21:05:03.000,12x0,0,1500000,3001.0,3000.0,3002.0,1,4\n")
    assert main(["import", "ticks", str(path), "--no-progress", "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    assert "read 5, added 2" in out
    assert "line 4: unknown exchange 'DCX'" in out
    assert "line 5: datetime is not ISO 8601: 'friday'" in out
    assert "line 6: volume is not a number: '12x0'" in out
    rows = db.execute("SELECT ts, trading_day, volume, cum_volume, bid_price1 FROM ticks ORDER BY ts").fetchall()
    # the first tick seen, mid-session, is only the volume baseline; a bid of 0 is no bid
    assert rows == [(datetime(2024, 1, 5, 21, 5, 0, 500000, tzinfo=SH), date(2024, 1, 8), 0, 1200, 2999.0),
                    (datetime(2024, 1, 5, 21, 5, 1, tzinfo=SH), date(2024, 1, 8), 10, 1210, None)]
