"""The image's numba cache: built by functions.backtest.warm, copied to /tmp by a cold start, then
used without compiling (numba's own hit/miss counters, read in a fresh process)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from functions.numba_cache import seed

ROOT = Path(__file__).resolve().parents[3]
COLD_START = """
import json
import functions  # seeds NUMBA_CACHE_DIR from QC_NUMBA_CACHE_SEED, as on Lambda
from functions.backtest.warm import warm
from shared.backtest.runner import simulate
from shared.backtest.statistics import closing_fills
trades = warm()
kernels = [simulate, closing_fills]
print(json.dumps({"trades": trades, "hits": [sum(f.stats.cache_hits.values()) for f in kernels],
                  "misses": [sum(f.stats.cache_misses.values()) for f in kernels]}))
"""


def test_seed_copies_once_and_keeps_the_layout(tmp_path: Path) -> None:
    source = tmp_path / "image"
    (source / "var/task/shared/backtest").mkdir(parents=True)
    (source / "var/task/shared/backtest/runner.simulate-14.py311.nbi").write_bytes(b"index")
    (source / "var/task/shared/backtest/runner.simulate-14.py311.1.nbc").write_bytes(b"code")
    target = tmp_path / "tmp-cache"
    assert seed(str(source), str(target)) == 2
    assert (target / "var/task/shared/backtest/runner.simulate-14.py311.nbi").read_bytes() == b"index"
    assert seed(str(source), str(target)) == 0  # a warm container keeps what it has
    assert seed(str(source), str(source)) == 0
    assert seed(None, str(target)) == seed(str(tmp_path / "missing"), str(target)) == 0


def test_a_cold_start_uses_the_cache_built_with_the_image(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "QC_NUMBA"))}
    env |= {"NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": ""}  # as functions/Dockerfile pins
    image = tmp_path / "opt-numba-cache"
    subprocess.run([sys.executable, "-m", "functions.backtest.warm"], env=env | {"NUMBA_CACHE_DIR": str(image)},
                   cwd=ROOT, check=True, capture_output=True)
    assert any(image.rglob("runner.simulate-*.nbi"))
    out = subprocess.run([sys.executable, "-c", COLD_START], cwd=ROOT, check=True, capture_output=True, text=True,
                         env=env | {"NUMBA_CACHE_DIR": str(tmp_path / "tmp"), "QC_NUMBA_CACHE_SEED": str(image)})
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    assert measured["misses"] == [0, 0]  # nothing compiled
    assert measured["hits"] == [5, 1]  # the loop once per strategy, the trade statistics once, from the copied cache
    assert measured["trades"] > 0


def test_a_cache_that_cannot_be_copied_does_not_stop_the_handler(tmp_path: Path, monkeypatch) -> None:
    from functions import numba_cache

    source = tmp_path / "image"
    (source / "var").mkdir(parents=True)
    (source / "var/kernel.nbi").write_bytes(b"index")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("QC_NUMBA_CACHE_SEED", str(source))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(blocker / "cache"))
    assert numba_cache.seed_from_environment() == 0


def test_a_worker_cold_start_imports_neither_pandas_nor_psycopg() -> None:
    # each costs a cold start 0.1-0.2 s; a worker reads npz from S3 and never the database
    script = ("import sys; from functions.backtest.worker import handler; "
              "print(','.join(m for m in ('pandas', 'psycopg') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
