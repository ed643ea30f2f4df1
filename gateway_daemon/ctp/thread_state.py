"""Keep one Python thread state for each CTP thread that calls our SPI.

CTP calls the SPI from threads of its own, which Python did not start. SWIG's
director takes the GIL for each callback with ``PyGILState_Ensure`` and gives it
back with ``PyGILState_Release``; on such a thread the first makes a new thread
state and the second deletes it, for every callback. That cost about 0.8 us a
tick, and everything kept per thread (``threading.local``) was lost between
callbacks. ``keep_thread_state()`` takes one more hold on the state the first
time it runs on a thread, so the director's own pair no longer brings the count
to zero and the state lives as long as the thread. The hold is never given back:
a CTP thread lives as long as its API object, one per session for the process's
life, so what stays behind is one small thread state per API ever created.
"""
from __future__ import annotations

import ctypes
import threading

_kept = threading.local()  # empty in each new thread state: that is how a new one is recognised


def keep_thread_state() -> None:
    """Call at the start of an SPI callback; a check of one attribute once the state is kept."""
    if getattr(_kept, "held", False):
        return
    _kept.held = True
    if isinstance(threading.current_thread(), threading._DummyThread):  # not started by Python
        ctypes.pythonapi.PyGILState_Ensure()
