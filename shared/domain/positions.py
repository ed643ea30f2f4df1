"""Positions built from fills: long and short apart, today's and yesterday's lots apart, realised PnL.

Lots are closed first in, first out within the side the offset names: a
close-today takes today's lots, close-yesterday (and a plain close, as the
non-SHFE exchanges do) takes yesterday's lots first and then today's.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from shared.domain.orders import Direction, Offset


@dataclass(slots=True)
class _Lot:
    price: float
    volume: int


@dataclass(slots=True)
class Side:
    """One direction's holding of one symbol."""

    yesterday: deque[_Lot] = field(default_factory=deque)
    today: deque[_Lot] = field(default_factory=deque)
    realised_pnl: float = 0.0

    @property
    def volume_today(self) -> int:
        return sum(lot.volume for lot in self.today)

    @property
    def volume_yesterday(self) -> int:
        return sum(lot.volume for lot in self.yesterday)

    @property
    def volume(self) -> int:
        return self.volume_today + self.volume_yesterday

    @property
    def avg_price(self) -> float | None:
        lots = [*self.yesterday, *self.today]
        total = sum(lot.volume for lot in lots)
        return sum(lot.price * lot.volume for lot in lots) / total if total else None


class PositionBook:
    """Positions of one account; ``multipliers`` give each symbol's units per lot."""

    def __init__(self, multipliers: dict[str, float] | None = None) -> None:
        self._sides: dict[tuple[str, str], Side] = {}
        self._multipliers = multipliers if multipliers is not None else {}

    def side(self, symbol: str, long: bool) -> Side:
        return self._sides.setdefault((symbol, "long" if long else "short"), Side())

    def items(self) -> list[tuple[str, str, Side]]:
        return [(symbol, direction, side) for (symbol, direction), side in sorted(self._sides.items())]

    def set_yesterday(self, symbol: str, long: bool, volume: int, price: float) -> None:
        """Start of day: yesterday's lots as the broker reports them."""
        side = self.side(symbol, long)
        side.yesterday = deque([_Lot(price, volume)]) if volume else deque()

    def net(self, symbol: str) -> int:
        return self.side(symbol, True).volume - self.side(symbol, False).volume

    def apply(self, symbol: str, direction: Direction, offset: Offset, price: float, volume: int,
              multiplier: float | None = None) -> float:
        """Apply one fill; returns the PnL it realised."""
        buy = direction is Direction.BUY
        if offset is Offset.OPEN:
            self.side(symbol, buy).today.append(_Lot(price, volume))
            return 0.0
        held = self.side(symbol, not buy)  # a buy closes shorts, a sell closes longs
        order = {Offset.CLOSE_TODAY: (held.today,), Offset.CLOSE_YESTERDAY: (held.yesterday, held.today),
                 Offset.CLOSE: (held.yesterday, held.today)}[offset]
        unit = multiplier if multiplier is not None else self._multipliers.get(symbol, 1.0)
        realised, left = 0.0, volume
        for lots in order:
            while left and lots:
                lot = lots[0]
                take = min(left, lot.volume)
                # a sell closes a long: (close - open); a buy closes a short: (open - close)
                realised += (lot.price - price if buy else price - lot.price) * take * unit
                lot.volume -= take
                left -= take
                if not lot.volume:
                    lots.popleft()
        held.realised_pnl += realised
        return realised
