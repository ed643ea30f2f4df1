"""``make bench``: every ``benchmarks/bench_*.py`` module's ``run()``, in one process.

Each module prints its own table: ours timed against the named alternative in
the same run, with the ratio, so the numbers compare like with like, or (the
daemon) against the goal it must meet. ``python -m benchmarks indicators daemon``
runs only the modules named.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def modules() -> list[str]:
    return sorted(m.name.removeprefix("bench_") for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                  if m.name.startswith("bench_"))


def main(argv: list[str]) -> int:
    available = modules()
    chosen = argv or available
    unknown = sorted(set(chosen) - set(available))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {available}", file=sys.stderr)
        return 2
    for name in chosen:
        started = time.perf_counter()
        print(f"\n== {name}")
        importlib.import_module(f"benchmarks.bench_{name}").run()
        print(f"   ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
