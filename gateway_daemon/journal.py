"""A bounded on-disk journal: the daemon's buffer while PostgreSQL or Redis is away, and its memory
across a crash.

Lines are appended to numbered segment files and flushed to the operating
system at each batch, so a SIGKILL loses nothing already appended. A writer
``seal()``s the current segment before it writes what the segment holds
elsewhere and ``release()``s the segments once they are stored; whatever is
left on disk at start-up is replayed first, in segment order (the stores skip
rows they already have, so a replay duplicates nothing). Past ``max_bytes`` new
lines are refused and counted, with one clear log line per outage.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from gateway_daemon.logs import log


class Journal:
    def __init__(self, directory: str | Path, *, max_bytes: int = 1 << 30, name: str = "journal") -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.name = name
        for segment in self.segments():  # an empty segment holds nothing to replay
            if self._path(segment).stat().st_size == 0:
                self._path(segment).unlink()
        existing = self.segments()
        self._current_id = (existing[-1] + 1) if existing else 1
        self._bytes = sum(self._path(s).stat().st_size for s in existing)
        self._file = open(self._path(self._current_id), "a", encoding="utf-8")  # noqa: SIM115 - held open
        self._current_bytes = 0
        self.dropped = 0
        self._full_logged = False

    def _path(self, segment: int) -> Path:
        return self.dir / f"{segment:010d}.jsonl"

    def segments(self) -> list[int]:
        """Segment ids on disk, oldest first (the current one included)."""
        return sorted(int(p.stem) for p in self.dir.glob("*.jsonl") if p.stem.isdigit())

    @property
    def bytes(self) -> int:
        return self._bytes

    def append(self, lines: Sequence[str]) -> bool:
        """Append lines (no newlines inside); False when the journal is full and they were refused."""
        if not lines:
            return True
        text = "\n".join(lines) + "\n"
        size = len(text)
        if self._bytes + size > self.max_bytes:
            self.dropped += len(lines)
            if not self._full_logged:
                self._full_logged = True
                log("journal_full", "error", journal=self.name, bytes=self._bytes, max_bytes=self.max_bytes,
                    action="new records are dropped and counted until the store is back")
            return False
        self._file.write(text)
        self._file.flush()  # to the OS: survives the process being killed
        self._bytes += size
        self._current_bytes += size
        return True

    def seal(self) -> int:
        """Close the current segment (if it holds anything) and start the next; returns the last sealed id."""
        if self._current_bytes == 0:
            return self._current_id - 1
        self._file.close()
        sealed = self._current_id
        self._current_id += 1
        self._file = open(self._path(self._current_id), "a", encoding="utf-8")  # noqa: SIM115
        self._current_bytes = 0
        return sealed

    def release(self, upto: int) -> None:
        """Delete sealed segments up to ``upto``: they are stored."""
        for segment in self.segments():
            if segment > upto or segment == self._current_id:
                break
            path = self._path(segment)
            self._bytes -= path.stat().st_size
            path.unlink()
        if self._bytes < self.max_bytes:
            self._full_logged = False

    def read(self, segment: int) -> Iterator[str]:
        with open(self._path(segment), encoding="utf-8") as fh:
            for line in fh:
                if line.endswith("\n"):  # a line cut by a crash is incomplete: skipped
                    yield line[:-1]

    def sealed(self) -> list[int]:
        return [s for s in self.segments() if s != self._current_id]

    def close(self) -> None:
        self._file.close()
        if self._current_bytes == 0:
            try:
                os.unlink(self._path(self._current_id))
            except FileNotFoundError:
                pass
