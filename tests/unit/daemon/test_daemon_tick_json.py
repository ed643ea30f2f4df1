"""``tick_json`` writes the bytes ``json.dumps`` writes for ``Tick.to_json`` (the reference)."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import timezone

from gateway_daemon.replay import load_rows
from gateway_daemon.tick_json import tick_json
from shared.domain.ticks import TickCleaner

DATA = "data/ticks_ctp_5_contracts_20171113.csv.gz"


def _reference(tick) -> str:
    return json.dumps(tick.to_json(), separators=(",", ":"))


def test_every_recorded_tick() -> None:
    cleaner = TickCleaner()
    ticks = [t for t in (cleaner.clean(r) for r in load_rows(DATA)) if t is not None]
    assert len(ticks) > 150_000
    for tick in ticks:
        assert tick_json(tick) == _reference(tick)


def test_absent_values_odd_numbers_and_symbols() -> None:
    tick = next(t for t in (TickCleaner().clean(r) for r in load_rows(DATA, ["cu1801"])) if t is not None)
    for variant in (replace(tick, last_price=None, bid_price1=None, bid_volume1=None, turnover=None),
                    replace(tick, last_price=1e-7, turnover=1e22, open_interest=0.1 + 0.2),
                    replace(tick, last_price=float("inf")),
                    replace(tick, symbol='x"\\y'), replace(tick, symbol="铜1801")):
        assert tick_json(variant) == _reference(variant)
    assert tick_json(tick).startswith('{"symbol":"cu1801","ts":"2017-11-1')


def test_a_kept_time_text_is_not_given_to_the_same_instant_in_another_zone() -> None:
    tick = next(t for t in (TickCleaner().clean(r) for r in load_rows(DATA, ["cu1801"])) if t is not None)
    utc = replace(tick, ts=tick.ts.astimezone(timezone.utc))
    assert utc.ts == tick.ts  # equal instants: one dict key, were the zone not checked
    for variant in (tick, utc, tick):
        assert tick_json(variant) == _reference(variant)
    assert '"ts":"2017-11-1' in tick_json(utc) and "+00:00" in tick_json(utc)
