"""What the market-data core leaves out: every drop counted by reason and logged.

``Drops`` is a ``Counter`` of reasons (callers add, compare and report it as one).
The first drop of each reason for each symbol is logged at INFO with the tick's
time and what was wrong; the ones after it at DEBUG, so a feed that repeats one
fault does not flood the log while the counts (which the daemon logs with its
stats and the import prints) keep the totals.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping

log = logging.getLogger("quantcloud.market.drops")


class Drops(Counter[str]):
    def __init__(self, source: str | Mapping[str, int] = "market data") -> None:
        super().__init__()
        if isinstance(source, str):
            self.source = source
        else:  # Counter.copy() and pickling rebuild the class from the counts
            self.source = "market data"
            self.update(source)
        self._logged: set[tuple[str, str]] = set()

    def drop(self, reason: str, symbol: str, detail: object) -> None:
        """Count one drop of ``symbol`` for ``reason``; ``detail``: the tick's time or the fault."""
        self[reason] += 1
        if (reason, symbol) in self._logged:
            log.debug("%s dropped %s %s: %s", self.source, symbol or "?", detail, reason)
            return
        self._logged.add((reason, symbol))
        log.info("%s dropped %s %s: %s (further %s drops of %s are counted and logged at DEBUG)",
                 self.source, symbol or "?", detail, reason, reason, symbol or "?")
