"""numba's compiled code, prepared when the image is built and reused by every cold start.

Lambda's file system is read-only except ``/tmp``, and numba only uses a cache directory it
can write to, so the image keeps the cache built by ``functions.backtest.warm`` at
``QC_NUMBA_CACHE_SEED`` and a cold container copies it into ``NUMBA_CACHE_DIR`` (``/tmp``)
before the first kernel runs. The cache is only valid for the CPU it was compiled for: the
image pins ``NUMBA_CPU_NAME`` (with empty ``NUMBA_CPU_FEATURES``) at build and run time, so a
Lambda host whose CPU differs from the build machine's still finds it.
"""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)


def seed(source: str | None, target: str | None) -> int:
    """Copy the prepared cache ``source`` into ``target`` unless ``target`` already has it (a warm
    container). Returns the number of files copied; 0 when either is unset or they are the same."""
    if not source or not target or not Path(source).is_dir():
        return 0
    src, dst = Path(source).resolve(), Path(target).resolve()
    if src == dst or (dst / ".seeded").exists():
        return 0
    copied = 0
    for path in src.rglob("*"):
        if path.is_file():
            out = dst / path.relative_to(src)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, out)  # keeps mtimes: numba's index compares them with the sources'
            copied += 1
    (dst / ".seeded").touch()
    return copied


def seed_from_environment() -> int:
    """``seed`` from the image's variables; a copy that fails (``/tmp`` full ...) only costs the
    compile time, so it is logged and the handler still starts."""
    try:
        return seed(os.environ.get("QC_NUMBA_CACHE_SEED"), os.environ.get("NUMBA_CACHE_DIR"))
    except OSError:
        log.warning("numba cache not copied; kernels will compile", exc_info=True)
        return 0
