"""Import bar and tick CSV files (plain or .csv.gz; the layouts of ``data/`` and of vn.py) into PostgreSQL.

Rows are read, checked and loaded in batches with COPY. A malformed row is
reported with its line number and skipped; the rest still loads. Instruments
are created from the file's exchange column. Loading the same file twice adds
nothing (the primary keys decide).
"""
from __future__ import annotations

import csv
import gzip
import io
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

import psycopg
from tqdm import tqdm

from shared.adapters.pg_bars import PgBarStore
from shared.adapters.pg_instruments import ensure_instrument
from shared.adapters.pg_ticks import insert_ticks
from shared.domain.ctp_quotes import SH
from shared.domain.instruments import SYMBOL_PATTERN, Exchange, parse_exchange, product_of
from shared.domain.sessions import trading_day
from shared.domain.ticks import Tick, TickCleaner
from shared.domain.vnpy_quotes import is_vnpy_tick_row, parse_vnpy_tick
from shared.errors import InvalidInput

BATCH_ROWS = 20_000
MAX_LINES_SHOWN = 20


@dataclass
class ImportReport:
    """What an import did; ``malformed`` holds (line number, reason) for each rejected row."""

    kind: str
    path: str
    read: int = 0
    added: int = 0
    malformed: list[tuple[int, str]] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)  # ticks left out by cleaning, by reason
    instruments_created: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """Valid rows not added because they were already stored."""
        return self.read - len(self.malformed) - sum(self.dropped.values()) - self.added

    def summary(self) -> str:
        lines = [f"{self.kind} {self.path}: read {self.read}, added {self.added}, "
                 f"skipped (already present) {self.skipped}, malformed {len(self.malformed)}"]
        if self.dropped:
            reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(self.dropped.items()))
            lines.append(f"  dropped by tick cleaning: {reasons}")
        if self.instruments_created:
            lines.append(f"  instruments created: {', '.join(self.instruments_created)}")
        for line, reason in self.malformed[:MAX_LINES_SHOWN]:
            lines.append(f"  line {line}: {reason}")
        if len(self.malformed) > MAX_LINES_SHOWN:
            lines.append(f"  ... and {len(self.malformed) - MAX_LINES_SHOWN} more malformed lines")
        return "\n".join(lines)


def open_text(path: Path) -> TextIO:
    """A text reader for a plain or gzip-compressed file (recognised by its magic bytes)."""
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    raw = gzip.open(path, "rb") if gzipped else open(path, "rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")  # -sig: a BOM (Excel's CSV) is not a column


MAX_VOLUME = 1e15  # lots in one bar: far above any market, well inside PostgreSQL's bigint
BAR_COLUMNS = ("datetime", "open", "high", "low", "close", "volume")
TICK_LAYOUTS = {"CTP DepthMarketData": ("InstrumentID", "UpdateTime", "LastPrice", "Volume"),
                "vn.py TickData": ("symbol", "datetime", "last_price", "volume")}


def _bar_header_problem(header: list[str]) -> str | None:
    names = set(header) | ({"datetime"} if "ts" in header else set())
    missing = [c for c in BAR_COLUMNS if c not in names]
    if not missing:
        return None
    hint = "; it looks like a tick file: use 'import ticks'" if "InstrumentID" in header or "last_price" in header else ""
    return f"not a bar file: its header has no {', '.join(missing)}{hint}"


def _tick_header_problem(header: list[str]) -> str | None:
    if any(all(c in header for c in columns) for columns in TICK_LAYOUTS.values()):
        return None
    layouts = "; ".join(f"{name}: {', '.join(cols)}" for name, cols in TICK_LAYOUTS.items())
    hint = "; it looks like a bar file: use 'import bars'" if not _bar_header_problem(header) else ""
    return f"not a tick file: its header lacks the columns of either layout ({layouts}){hint}"


def _rows(handle: TextIO, header_problem: Callable[[list[str]], str | None]) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(handle)
    header = [name.strip() for name in next(reader, [])]
    problem = header_problem(header)
    if problem:  # one clear error for the file, not the same one on every line
        raise InvalidInput(problem, {"header": header[:20]})
    for values in reader:
        if not values:
            continue
        if len(values) != len(header):
            yield reader.line_num, {"__error__": f"expected {len(header)} fields, found {len(values)}"}
            continue
        yield reader.line_num, dict(zip(header, values, strict=True))


def _float(row: dict[str, str], name: str, required: bool = True) -> float | None:
    text = row.get(name, "").strip()
    if not text:
        if required:
            raise InvalidInput(f"{name} is missing")
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{name} is not a number: {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        if required:
            raise InvalidInput(f"{name} is not a finite number: {text!r}")
        return None
    return value


def _bar_row(row: dict[str, str], fixed: tuple[str, Exchange] | None) -> tuple[tuple[Any, ...], Exchange]:
    if "__error__" in row:
        raise InvalidInput(row["__error__"])
    if fixed is not None:
        symbol, exchange = fixed
    else:
        symbol = row.get("symbol", "").strip()
        if not symbol:
            raise InvalidInput("symbol is missing (or pass --symbol-exchange SYMBOL.EXCHANGE)")
        if not re.fullmatch(SYMBOL_PATTERN, symbol):
            raise InvalidInput(f"symbol {symbol[:40]!r} is not a contract code (letters, digits, '_', '.', '-')")
        exchange = parse_exchange(row.get("exchange", ""))
    stamp = (row.get("datetime") or row.get("ts") or "").strip()
    try:
        ts = datetime.fromisoformat(stamp)
    except ValueError:
        raise InvalidInput(f"datetime is not ISO 8601: {stamp!r}") from None
    ts = ts.replace(tzinfo=SH) if ts.tzinfo is None else ts.astimezone(SH)
    day_text = row.get("trading_day", "").strip().replace("-", "")
    if not day_text:
        # vn.py's layout has no trading day: derive it from the bar's start (night bars -> next trading day)
        return _values(row, symbol, ts, trading_day(ts, product_of(symbol))), exchange
    try:
        if len(day_text) != 8:
            raise ValueError(day_text)
        day = date(int(day_text[:4]), int(day_text[4:6]), int(day_text[6:8]))
    except ValueError:
        raise InvalidInput(f"trading_day is not YYYYMMDD: {day_text!r}") from None
    expected = trading_day(ts, product_of(symbol))
    if day != expected:
        raise InvalidInput(f"trading_day {day_text} is not the trading day of a bar at {ts.isoformat()} "
                           f"({expected:%Y%m%d}; a night bar belongs to the next trading day)")
    return _values(row, symbol, ts, day), exchange


def _values(row: dict[str, str], symbol: str, ts: datetime, day: date) -> tuple[Any, ...]:
    prices = [_float(row, name) for name in ("open", "high", "low", "close")]
    open_, high, low, close = prices
    if min(prices) <= 0:
        raise InvalidInput(f"prices must be above 0: open {open_} high {high} low {low} close {close}")
    if high < low:
        raise InvalidInput(f"high {high} is below low {low}")
    # an open or close outside high..low is kept: exchange data has them (data/README.md)
    volume = _float(row, "volume")
    if volume is None or volume < 0 or volume != int(volume) or volume > MAX_VOLUME:
        raise InvalidInput(f"volume is not a whole number from 0 to {MAX_VOLUME:.0e}: {row.get('volume')!r}")
    return (symbol, ts, day, *prices, int(volume), _float(row, "turnover", False),
            _float(row, "open_interest", False))


def _load(conn: psycopg.Connection, report: ImportReport, path: Path, progress: bool,
          header_problem: Callable[[list[str]], str | None],
          parse: Callable[[dict[str, str]], tuple[Any, str, Exchange] | None],
          store: Callable[[list[Any]], int], batch_rows: int) -> ImportReport:
    known: set[str] = set()
    batch: list[Any] = []
    with open_text(path) as handle, tqdm(desc=f"import {report.kind}", unit=" rows", file=sys.stderr,
                                         disable=not progress, mininterval=0.5) as bar:
        for line, row in _rows(handle, header_problem):
            report.read += 1
            try:
                parsed = parse(row)
            except InvalidInput as exc:
                report.malformed.append((line, exc.message))
                continue
            if parsed is None:
                continue
            item, symbol, exchange = parsed
            if symbol not in known:
                known.add(symbol)
                if ensure_instrument(conn, symbol, exchange):
                    report.instruments_created.append(symbol)
            batch.append(item)
            if len(batch) >= batch_rows:
                report.added += store(batch)
                bar.update(report.read - bar.n)
                batch = []
        if batch:
            report.added += store(batch)
        bar.update(report.read - bar.n)
    return report


def import_bars(conn: psycopg.Connection, path: str | Path, *, symbol_exchange: tuple[str, Exchange] | None = None,
                progress: bool = True, batch_rows: int = BATCH_ROWS) -> ImportReport:
    """Load a 1-minute bar CSV; ``symbol_exchange`` overrides the symbol/exchange columns.

    Layouts: ours (datetime, trading_day, symbol, exchange, open, high, low, close, volume[, open_interest,
    turnover]) and vn.py's DataManager export (datetime, open, high, low, close, volume, turnover,
    open_interest; the symbol and exchange come from ``symbol_exchange``). Without a trading_day column the
    trading day is derived from the bar's start (``sessions.trading_day``: a night bar belongs to the next
    trading day). ``datetime`` is the bar START, ISO 8601 with ``T`` or a space, Asia/Shanghai unless it
    carries an offset."""
    path = Path(path)
    report = ImportReport("bars", str(path))

    def parse(row: dict[str, str]) -> tuple[Any, str, Exchange]:
        values, exchange = _bar_row(row, symbol_exchange)
        return values, values[0], exchange

    return _load(conn, report, path, progress, _bar_header_problem, parse, PgBarStore(conn).insert_bars, batch_rows)


def import_ticks(conn: psycopg.Connection, path: str | Path, *, progress: bool = True,
                 batch_rows: int = BATCH_ROWS) -> ImportReport:
    """Load a tick CSV through ``TickCleaner``: CTP's DepthMarketData columns (``TradingDay``, ``InstrumentID``,
    ``UpdateTime`` ...) or vn.py's TickData columns (``symbol``, ``exchange``, ``datetime``, ``last_price``,
    ``volume`` ...; see ``vnpy_quotes``), told apart by the header."""
    path = Path(path)
    report = ImportReport("ticks", str(path))
    cleaner = TickCleaner()
    report.dropped = cleaner.dropped

    def parse(row: dict[str, str]) -> tuple[Tick, str, Exchange] | None:
        if "__error__" in row:
            raise InvalidInput(row["__error__"])
        quote = parse_vnpy_tick(row) if is_vnpy_tick_row(row) else cleaner.parse(row)
        if not re.fullmatch(SYMBOL_PATTERN, quote.symbol):
            raise InvalidInput(f"symbol {quote.symbol[:40]!r} is not a contract code")
        if quote.exchange is None:
            raise InvalidInput(f"exchange of {quote.symbol!r} unknown: ExchangeID is empty")
        tick = cleaner.accept(quote)
        return None if tick is None else (tick, tick.symbol, quote.exchange)

    return _load(conn, report, path, progress, _tick_header_problem, parse, lambda batch: insert_ticks(conn, batch),
                 batch_rows)


def parse_symbol_exchange(text: str) -> tuple[str, Exchange]:
    """``"cu_main.SHFE"`` -> ("cu_main", Exchange.SHFE)."""
    symbol, dot, exchange = text.rpartition(".")
    if not dot or not re.fullmatch(SYMBOL_PATTERN, symbol):
        raise InvalidInput(f"expected SYMBOL.EXCHANGE, e.g. cu_main.SHFE, got {text!r}")
    return symbol, parse_exchange(exchange)
