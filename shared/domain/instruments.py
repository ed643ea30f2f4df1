"""Exchanges, products and the contract specifications we ship.

A symbol is the plain contract code as the exchange writes it (``cu1801``,
``MA801`` with CZCE's one-digit year, ``IF1711``) or ``<product>_main`` for a
continuous main series. Its product is the leading letters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from shared.errors import InvalidInput


class Exchange(StrEnum):
    SHFE = "SHFE"
    INE = "INE"
    DCE = "DCE"
    CZCE = "CZCE"
    CFFEX = "CFFEX"
    GFEX = "GFEX"


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """Contract multiplier (units per lot), minimum price tick and listing exchange of a product."""

    multiplier: float
    price_tick: float
    exchange: Exchange | None = None


# the products of the bundled data; anything else is stored with 1 / 1 until someone adds it
PRODUCT_SPECS: dict[str, ProductSpec] = {
    "cu": ProductSpec(5, 10, Exchange.SHFE),
    "rb": ProductSpec(10, 1, Exchange.SHFE),
    "i": ProductSpec(100, 0.5, Exchange.DCE),
    "MA": ProductSpec(10, 1, Exchange.CZCE),
    "IF": ProductSpec(300, 0.2, Exchange.CFFEX),
}
DEFAULT_SPEC = ProductSpec(1, 1)

_PRODUCT = re.compile(r"[A-Za-z]+")
SYMBOL_PATTERN = r"^[A-Za-z0-9_.\-]{1,32}$"  # what a contract code may be in a request (cu_main, cu1801, SA405)


def product_of(symbol: str) -> str:
    """The product code of a symbol: ``cu_main`` -> ``cu``, ``MA801`` -> ``MA``."""
    match = _PRODUCT.match(symbol)
    if match is None:
        raise InvalidInput(f"symbol {symbol!r} does not start with a product code", {"symbol": symbol})
    return match.group(0)


def spec_of(symbol: str) -> ProductSpec:
    """Multiplier and price tick for a symbol's product (1 / 1 when the product is not in the table)."""
    return PRODUCT_SPECS.get(product_of(symbol), DEFAULT_SPEC)


def parse_exchange(text: str) -> Exchange:
    """``"shfe"`` -> ``Exchange.SHFE``; an unknown name is an InvalidInput that lists the valid ones."""
    try:
        return Exchange(text.strip().upper())
    except ValueError:
        valid = ", ".join(e.value for e in Exchange)
        raise InvalidInput(f"unknown exchange {text!r}: expected one of {valid}", {"exchange": text}) from None
