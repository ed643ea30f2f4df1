"""Indicator requests as the K-line API takes them: ``ma:5,20,macd.cn:12,26,9,boll:20,2,rsi:6``.

A comma list. A token ``name[.cn][:p1]`` starts an indicator; bare numbers after
it are more of its parameters. ``.cn`` picks the Chinese charting convention
(通达信/同花顺) where it differs from TA-Lib's (``ema``, ``macd``, ``rsi``, ``kdj``);
its output keys end in ``_cn`` so both can be asked for at once.

Each spec knows its output keys and its warm-up: how many bars before the first
wanted one make its values equal to those over the whole history. Window
indicators need ``period - 1`` bars; recursive ones (EMA, Wilder smoothing,
SMA(X, N, 1)) need the bars after which the start's influence, shrinking by a
fixed factor per bar, is below 1e-15 of its size (``decay_bars``). OBV is a
running total with no such horizon: it counts from the first bar it is given.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from shared.errors import InvalidInput

Convention = Literal["talib", "cn"]
MAX_PERIOD = 1000
MAX_KEYS = 32
RESIDUE = 1e-15  # what is left of the seed after the warm-up, relative to its size


@dataclass(frozen=True, slots=True)
class Kind:
    """What a name accepts: ``multi`` names take a list of periods (one output each)."""

    name: str
    multi: bool
    defaults: tuple[float, ...]
    minimum: int = 1
    cn_defaults: tuple[float, ...] | None = None  # None: no charting variant
    needs: tuple[str, ...] = ("close",)
    arity: int = 1
    floats: tuple[int, ...] = ()  # positions that take any positive number (Bollinger's width)


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("ma", True, (5, 10, 20, 60)),
    Kind("ema", True, (12, 26), cn_defaults=(12, 26)),
    Kind("wma", True, (30,)),
    Kind("macd", False, (12, 26, 9), cn_defaults=(12, 26, 9), arity=3),
    Kind("rsi", True, (14,), minimum=2, cn_defaults=(6, 12, 24)),
    Kind("boll", False, (20, 2), minimum=2, arity=2, floats=(1,)),
    Kind("atr", True, (14,), needs=("high", "low", "close")),
    Kind("kdj", False, (9, 3, 3), cn_defaults=(9, 3, 3), needs=("high", "low", "close"), arity=3),
    Kind("cci", True, (14,), minimum=2, needs=("high", "low", "close")),
    Kind("obv", False, (), needs=("close", "volume"), arity=0),
    Kind("adx", True, (14,), minimum=2, needs=("high", "low", "close")),
)}
ALIASES = {"sma": "ma", "bbands": "boll", "bb": "boll", "stoch": "kdj"}
INDICATOR_NAMES = tuple(KINDS)


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """One requested indicator: ``name``, its parameters, its convention."""

    name: str
    params: tuple[float, ...]
    convention: Convention = "talib"

    @property
    def kind(self) -> Kind:
        return KINDS[self.name]

    def text(self) -> str:
        """Canonical text, parsed back by ``parse_indicators``: ``macd.cn:12,26,9``."""
        suffix = ".cn" if self.convention == "cn" else ""
        params = ",".join(_number_text(p) for p in self.params)
        return f"{self.name}{suffix}:{params}" if params else f"{self.name}{suffix}"

    def keys(self) -> list[str]:
        """Output keys, in order: ``ma5``, ``macd_signal``, ``boll_upper``, ``rsi6_cn`` ..."""
        end = "_cn" if self.convention == "cn" else ""
        p = [int(x) for x in self.params if x == int(x)]
        if self.kind.multi:
            return [f"{self.name}{period}{end}" for period in p]
        return [f"{self.name}{part}{end}" for part in _PARTS[self.name]]

    def warmup_bars(self) -> int:
        """Bars before the first wanted one that make its values equal to full-history ones (to ~1e-15)."""
        p = [int(x) for x in self.params]
        name, cn = self.name, self.convention == "cn"
        if name in ("ma", "wma", "cci"):
            return max(p) - 1
        if name == "boll":
            return p[0] - 1
        if name == "obv":
            return 0
        if name == "ema":
            return max(period + decay_bars(1 - 2 / (period + 1)) for period in p)
        if name == "macd":
            fast, slow, signal = p
            slow = max(fast, slow)
            return slow + signal + decay_bars(1 - 2 / (slow + 1)) + decay_bars(1 - 2 / (signal + 1))
        if name in ("rsi", "atr"):
            return max(period + decay_bars(1 - 1 / period) for period in p)
        if name == "adx":
            return max(2 * period + 2 * decay_bars(1 - 1 / period) for period in p)
        if name == "kdj":
            n, m1, m2 = p
            if not cn:
                return n + m1 + m2 - 3  # TA-Lib's STOCH: windows only
            return n + decay_bars(1 - 1 / m1) + decay_bars(1 - 1 / m2)
        raise AssertionError(name)


_PARTS = {"macd": ("", "_signal", "_hist"), "boll": ("_upper", "_middle", "_lower"),
          "kdj": ("_k", "_d", "_j"), "obv": ("",)}


def decay_bars(factor: float) -> int:
    """Bars after which ``factor ** bars`` is below ``RESIDUE``."""
    if factor <= 0.0:
        return 1
    return math.ceil(math.log(RESIDUE) / math.log(factor))


def parse_indicators(text: str | None) -> list[IndicatorSpec]:
    """``"ma:5,20,macd.cn,rsi:6"`` -> specs; InvalidInput naming the first problem."""
    if not text:
        return []
    groups: list[tuple[str, list[str]]] = []
    for raw in text.split(","):
        token = raw.strip().lower()
        if not token:
            continue
        head, _, first = token.partition(":")
        if _is_number(head):
            if not groups:
                raise _bad(f"indicator parameter {token!r} comes before any indicator name")
            groups[-1][1].append(token)
            continue
        groups.append((head, [first] if first else []))
        if _ and not first:
            raise _bad(f"indicator {head!r}: ':' must be followed by a parameter")
    specs: dict[tuple[str, str], IndicatorSpec] = {}
    for head, params in groups:
        spec = _spec(head, params)
        key = (spec.name, spec.convention)
        if key in specs:
            if not spec.kind.multi:
                if specs[key] != spec:
                    raise _bad(f"indicator {spec.name!r} is given twice with different parameters")
                continue
            merged = tuple(dict.fromkeys(specs[key].params + spec.params))
            spec = IndicatorSpec(spec.name, merged, spec.convention)
        specs[key] = spec
    result = list(specs.values())
    keys = [k for s in result for k in s.keys()]
    if len(keys) > MAX_KEYS:
        raise _bad(f"at most {MAX_KEYS} indicator values per bar, asked for {len(keys)}")
    return result


def _spec(head: str, params: list[str]) -> IndicatorSpec:
    name, dot, convention = head.partition(".")
    name = ALIASES.get(name, name)
    kind = KINDS.get(name)
    if kind is None:
        raise _bad(f"unknown indicator {head!r}: expected one of {', '.join(INDICATOR_NAMES)} "
                   "(optionally .cn and :parameters, e.g. ma:5,20 or macd.cn:12,26,9)")
    if dot and convention != "cn":
        raise _bad(f"indicator {head!r}: the only convention suffix is .cn")
    if dot and kind.cn_defaults is None:
        raise _bad(f"indicator {name!r} has no separate charting convention (.cn): it is the same in both")
    conv: Convention = "cn" if dot else "talib"
    values: list[float] = []
    for position, text in enumerate(params):
        if not _is_number(text):
            raise _bad(f"indicator {name!r}: parameter {text!r} is not a number")
        value = float(text)
        is_float = (not kind.multi) and position in kind.floats
        if is_float:
            if not (0 < value <= 10):
                raise _bad(f"indicator {name!r}: width {text!r} must be above 0 and at most 10")
        elif value != int(value) or not kind.minimum <= value <= MAX_PERIOD:
            raise _bad(f"indicator {name!r}: period {text!r} must be a whole number from {kind.minimum} "
                       f"to {MAX_PERIOD}")
        values.append(value if is_float else int(value))
    if not kind.multi and len(values) > kind.arity:
        raise _bad(f"indicator {name!r} takes at most {kind.arity} parameters, got {len(values)}")
    defaults = kind.cn_defaults if conv == "cn" and kind.cn_defaults is not None else kind.defaults
    if kind.multi:
        params_out = tuple(dict.fromkeys(values)) if values else defaults
    else:
        params_out = tuple(values) + defaults[len(values):]
    if name == "macd" and params_out[0] >= params_out[1]:
        # TA-Lib swaps them silently, the charting formula flips the sign: neither is what was asked
        raise _bad(f"indicator 'macd': fast period {_number_text(params_out[0])} must be below "
                   f"slow period {_number_text(params_out[1])}")
    return IndicatorSpec(name, tuple(params_out), conv)


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(float(value))


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, [{"field": "query.indicators", "message": message}])
