"""From raw CTP market data to cleaned ticks and 1-minute bars, and on to the sinks and the pusher."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from gateway_daemon.feed import END_OF_PASS, END_OF_SOURCE, TickFeed
from gateway_daemon.pusher import Pusher
from gateway_daemon.quote_parser import QuoteParser
from gateway_daemon.sinks import PgSink, RedisSink
from gateway_daemon.tick_json import json_text, tick_json
from shared.domain.bars import Bar, MinuteBarBuilder
from shared.domain.ticks import Tick, TickCleaner
from shared.domain.topics import bar_topic, tick_topic


class Pipeline:
    def __init__(self, redis_sink: RedisSink, pg_sink: PgSink, pusher: Pusher | None) -> None:
        self._redis = redis_sink
        self._pg = pg_sink
        self._pusher = pusher
        self._cleaner = TickCleaner()
        self._parser = QuoteParser()  # the cleaner's parse_quote, faster for typed CTP fields
        self._builder = MinuteBarBuilder()
        self._exchanges: dict[str, str] = {}
        self.received = 0
        self.ticks = 0
        self.bars = 0
        self._dropped: Counter[str] = Counter()

    @property
    def dropped(self) -> Counter[str]:
        """Ticks left out, by reason: the cleaner's and the bar builder's (``late``)."""
        return self._dropped + self._cleaner.dropped + self._builder.dropped

    async def run(self, feed: TickFeed) -> None:
        """Process the feed until its END_OF_SOURCE marker."""
        while True:
            ticks: list[Tick] = []
            bars: list[Bar] = []
            done = False
            clock = None  # the market's clock: the newest exchange time seen in this batch (and pass)
            for item in await feed.get_batch():
                if item is END_OF_SOURCE:
                    done = True
                    break
                if item is END_OF_PASS:
                    # the data ended, so the bars still open are complete; a new pass starts clean
                    bars.extend(self._builder.flush())
                    self._restart()
                    clock = None
                    continue
                tick = self._clean(item)  # type: ignore[arg-type]
                if tick is not None:
                    ticks.append(tick)
                    bars.extend(self._builder.on_tick(tick))
                    clock = tick.ts if clock is None else max(clock, tick.ts)
            if clock is not None:
                # the clock finishes other symbols' bars whose minute or session has ended
                # (a 10:14 bar at 10:15:01, not when trading resumes at 10:30)
                bars.extend(self._builder.on_time(clock))
            await self._emit(ticks, bars)
            if done:
                return

    def _clean(self, fields: Mapping[str, Any]) -> Tick | None:
        self.received += 1
        symbol = fields.get("InstrumentID")
        if symbol and symbol not in self._exchanges and fields.get("ExchangeID"):
            self._exchanges[symbol] = fields["ExchangeID"]
        quote = self._parser.parse(fields)
        return self._cleaner.clean(fields) if quote is None else self._cleaner.accept(quote)

    async def _emit(self, ticks: list[Tick], bars: list[Bar]) -> None:
        if not ticks and not bars:
            return
        self.ticks += len(ticks)
        self.bars += len(bars)
        tick_texts = [tick_json(t) for t in ticks]
        bar_texts = [json_text(b.to_json()) for b in bars]
        # to PostgreSQL's journal first: on disk before anything else can fail
        self._pg.add(ticks, bars, self._exchanges, tick_texts, bar_texts)
        await self._redis.write([(t.symbol, x) for t, x in zip(ticks, tick_texts)],
                                [(b.symbol, x) for b, x in zip(bars, bar_texts)])
        if self._pusher is not None:
            # the pusher keeps only each topic's latest message: offer just that
            latest = {t.symbol: t for t in ticks}
            for symbol, tick in latest.items():
                self._pusher.offer(tick_topic(symbol), {"topic": tick_topic(symbol), "data": tick.to_json()})
            for bar in bars:
                self._pusher.offer(bar_topic(bar.symbol), {"topic": bar_topic(bar.symbol), "data": bar.to_json()})

    def _restart(self) -> None:
        self._dropped += self._cleaner.dropped + self._builder.dropped
        self._cleaner = TickCleaner()
        self._builder = MinuteBarBuilder()
