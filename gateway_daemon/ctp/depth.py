"""DepthMarketData read from the structure's own bytes: one copy and one ``struct`` unpack per tick.

Reading 16 fields through SWIG costs 16 attribute calls (about 9 us a tick on CTP's thread, a fifth of
the daemon's time per tick); copying the structure's bytes and unpacking them costs about 2 us. The
layout is not written down here: ``probe_layout`` finds each field's offset in the installed
openctp-ctp by writing a marker through SWIG and looking for its bytes, so a CTP version that moves
fields moves them here too. When the probe fails, the reader falls back to SWIG (``fields_of``).

Text fields (contract, exchange, dates, time of day) are GB18030 in CTP, as openctp-ctp decodes them;
their few distinct values are decoded once and looked up after that. Bytes that are not valid GB18030
are read through SWIG, which has its own answer for them (an empty text, or one cut short).
"""
from __future__ import annotations

import ctypes
import operator
import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gateway_daemon.ctp.structs import DEPTH_FIELDS, fields_of
from gateway_daemon.quote_parser import QUOTE_FIELDS, QuoteParser
from shared.domain.ctp_quotes import Quote

Layout = dict[str, tuple[int, str, int]]  # name -> (offset, struct code, size in bytes)
_FLOAT_MARKER = 1234567.8125  # exact in binary, unlikely anywhere else in a fresh structure
_INT_MARKER = 0x5A5B0000
MAX_TEXTS = 200_000  # distinct texts kept decoded (times of day are most of them: 86,400 at most)


def _text_size(probe: Any, name: str) -> int:
    """Bytes of a char[] field, its NUL included: the longest text SWIG accepts, plus one."""
    size = 1
    while True:
        try:
            setattr(probe, name, "Q" * size)
        except (TypeError, ValueError):
            return size
        size += 1
        if size > 4096:
            raise ValueError(f"{name}: no length limit found")


def probe_layout(struct_type: type, names: Sequence[str]) -> Layout:
    """Where each field of ``names`` lives in ``struct_type``: write a marker into a fresh (zeroed)
    structure and find its bytes."""
    layout: Layout = {}
    for n, name in enumerate(names):
        probe = struct_type()
        default = getattr(probe, name)
        if isinstance(default, float):
            setattr(probe, name, _FLOAT_MARKER + n)
            needle, code, size = struct.pack("<d", _FLOAT_MARKER + n), "d", 8
        elif isinstance(default, int):
            setattr(probe, name, _INT_MARKER + n)
            needle, code, size = struct.pack("<i", _INT_MARKER + n), "i", 4
        else:
            size = _text_size(probe, name)
            setattr(probe, name, "Q" * (size - 1))
            needle, code = b"Q" * (size - 1), "s"
        found = ctypes.string_at(int(probe.this), 4096).find(needle)
        if found < 0:
            raise ValueError(f"{name}: marker not found in {struct_type.__name__}")
        layout[name] = (found, code, size)
    return layout


class DepthReader:
    """``reader(p)``: the ``names`` fields of a DepthMarketData structure as a dict, equal to
    ``fields_of(p, names)``."""

    def __init__(self, struct_type: type, names: Sequence[str] = DEPTH_FIELDS) -> None:
        self.names = tuple(names)
        layout = probe_layout(struct_type, self.names)
        order = sorted(self.names, key=lambda name: layout[name][0])  # by offset: one format, gaps as pad bytes
        codes, at = [], 0
        for name in order:
            offset, code, size = layout[name]
            if offset < at:
                raise ValueError(f"{name}: overlaps the field before it")
            codes.append(f"{offset - at}x" if offset > at else "")
            codes.append(f"{size}s" if code == "s" else code)
            at = offset + size
        self._format = struct.Struct("<" + "".join(codes))
        self._order = tuple(order)
        self._text_index = tuple(j for j, name in enumerate(order) if layout[name][1] == "s")
        self.size = at
        self._texts: dict[bytes, str] = {}

    def __call__(self, p: Any) -> dict[str, Any]:
        return dict(zip(self._order, self._read(p)))

    def values_of(self, names: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
        """``read(p)``: the ``names`` fields of ``p`` as a tuple in that order (no dict: making one is 1.4 of
        the 3.4 us a read costs)."""
        pick = operator.itemgetter(*(self._order.index(name) for name in names))
        read = self._read
        return lambda p: pick(read(p))

    def _read(self, p: Any) -> list[Any]:
        """Every field of ``names``, in the order of their offsets."""
        values = list(self._format.unpack_from(ctypes.string_at(int(p.this), self.size)))
        texts = self._texts
        for j in self._text_index:
            text = texts.get(values[j])
            if text is None:
                text = self._decode(values[j])
                if text is None:  # bytes that are not GB18030: SWIG's own reading of them
                    text = getattr(p, self._order[j])
            values[j] = text
        return values

    def _decode(self, value: bytes) -> str | None:
        try:
            text = value.split(b"\0", 1)[0].decode("gb18030")
        except UnicodeDecodeError:
            return None
        if len(self._texts) >= MAX_TEXTS:
            self._texts.clear()
        self._texts[value] = text
        return text


def depth_reader(struct_type: type) -> Callable[[Any], dict[str, Any]]:
    """The fastest reader that works here: ``DepthReader``, or SWIG's attributes when probing fails."""
    try:
        return DepthReader(struct_type)
    except (ValueError, TypeError, AttributeError):
        return lambda p: fields_of(p, DEPTH_FIELDS)


class DepthQuotes:
    """``quotes(p)``: a DepthMarketData structure as a parsed ``Quote`` (``QuoteParser``) or, where that
    parser does not take it, as its fields dict, which the pipeline cleans with ``parse_quote`` (and its
    errors). ``exchanges`` fills an empty ExchangeID (MD fronts often send none); it may grow meanwhile.

    The common case builds no dict: the fields the parser needs are read as a tuple and looked up in
    its caches. A cache miss reads the dict and lets the parser learn from it."""

    def __init__(self, struct_type: type, exchanges: Mapping[str, str]) -> None:
        self._fields = depth_reader(struct_type)
        self._values = self._fields.values_of(QUOTE_FIELDS) if isinstance(self._fields, DepthReader) else None
        self._parser = QuoteParser()
        self._exchanges = exchanges

    def __call__(self, p: Any) -> Quote | dict[str, Any]:
        if self._values is not None:
            v = self._values(p)
            quote = self._parser.parse_known(v[0], v[1] or self._exchanges.get(v[0], ""), v[2], v[3], v[4], v[5],
                                             v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13])
            if quote is not None:
                return quote
        fields = self._fields(p)
        if not fields["ExchangeID"]:
            fields["ExchangeID"] = self._exchanges.get(fields["InstrumentID"], "")
        quote = self._parser.parse(fields)
        return fields if quote is None else quote
