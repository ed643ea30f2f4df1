"""``jit``: numba's njit, caching compiled code only where it can be written.

Lambda's code directory is read-only, and numba refuses ``cache=True`` when it
finds nowhere to write, so caching is on only for a writable package directory
or when NUMBA_CACHE_DIR names a place (``/tmp`` on Lambda).
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

from numba import njit

CACHE = bool(os.environ.get("NUMBA_CACHE_DIR")) or os.access(Path(__file__).parent, os.W_OK)
jit = functools.partial(njit, cache=CACHE)

# Indicator kernels: float division by zero gives inf/NaN as in C (TA-Lib) instead of numba's
# Python-style check on every division; fastmath stays off so the arithmetic is TA-Lib's, in its order.
kernel = functools.partial(njit, cache=CACHE, error_model="numpy")
