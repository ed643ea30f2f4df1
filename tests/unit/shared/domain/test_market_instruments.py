from __future__ import annotations

import pytest

from shared.domain.instruments import Exchange, parse_exchange, product_of, spec_of
from shared.errors import InvalidInput


@pytest.mark.parametrize(("symbol", "product"), [
    ("cu_main", "cu"), ("cu1801", "cu"), ("MA801", "MA"), ("IF1711", "IF"), ("i1801", "i"), ("rb1805", "rb"),
])
def test_product_of(symbol: str, product: str) -> None:
    assert product_of(symbol) == product


@pytest.mark.parametrize(("symbol", "multiplier", "price_tick", "exchange"), [
    # the CTP instrument dump of 2017-11-13 (data/README.md)
    ("cu1801", 5, 10, Exchange.SHFE), ("rb1805", 10, 1, Exchange.SHFE), ("i1801", 100, 0.5, Exchange.DCE),
    ("MA801", 10, 1, Exchange.CZCE), ("IF1711", 300, 0.2, Exchange.CFFEX), ("cu_main", 5, 10, Exchange.SHFE),
])
def test_specs_of_the_shipped_products(symbol: str, multiplier: float, price_tick: float, exchange: Exchange) -> None:
    spec = spec_of(symbol)
    assert (spec.multiplier, spec.price_tick, spec.exchange) == (multiplier, price_tick, exchange)


def test_unknown_product_gets_unit_spec() -> None:
    assert (spec_of("zz2501").multiplier, spec_of("zz2501").price_tick) == (1, 1)


def test_exchange_names() -> None:
    assert [e.value for e in Exchange] == ["SHFE", "INE", "DCE", "CZCE", "CFFEX", "GFEX"]
    assert parse_exchange("czce") is Exchange.CZCE
    with pytest.raises(InvalidInput, match="NYMEX"):
        parse_exchange("NYMEX")


def test_symbol_without_product_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        product_of("1801")
