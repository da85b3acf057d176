"""numba's CPU target started without SciPy's linear algebra (#13, Build 4: start-up).

numba starts its CPU target on a process's first compiled call, and part of that start is
``numba.np.arraymath`` checking for BLAS by importing ``scipy.linalg.cython_blas``: that loads
``scipy.linalg`` and, through SciPy's array-API layer, ``numpy.f2py`` — about 0.2 CPU-seconds
of a report's start-up, for BLAS that no Headway kernel calls (no ``np.dot``, no linear
algebra). ``start()`` starts the target with ``scipy.linalg`` hidden from this thread's imports
for that moment: numba then records "no BLAS", which it consults in one place only (the inner
product of ``np.correlate``/``np.convolve``, done by its own loop instead). Functions that do
use BLAS still compile, since numba imports ``scipy.linalg`` again when it types them, and
SciPy stays importable and is imported normally afterwards (drivers, Markov attribution).

Kernels import ``njit`` from here so that the target is started this way before their first
call: ``from headway.engine.numba_runtime import njit``.
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
from typing import Any

from numba import njit

__all__ = ["njit", "start"]

_HIDDEN = "scipy.linalg"
_lock = threading.Lock()
_started = False


class _HideLinalg(importlib.abc.MetaPathFinder):
    """Refuses ``scipy.linalg`` (and its submodules) to one thread's imports."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        """ImportError for the hidden package in the starting thread; else not ours."""
        hidden = fullname == _HIDDEN or fullname.startswith(_HIDDEN + ".")
        if hidden and threading.get_ident() == self.thread:
            raise ImportError(f"{fullname} is not needed to start numba's CPU target")


def start() -> None:
    """Start numba's CPU target (once per process) without importing ``scipy.linalg``."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
        try:
            from numba.core.registry import cpu_target
        except ImportError:  # another numba layout: it starts on the first call, as usual
            return
        if _HIDDEN in sys.modules:  # loaded already: nothing to save
            return
        finder = _HideLinalg()
        sys.meta_path.insert(0, finder)
        try:
            cpu_target.typing_context.refresh()
            cpu_target.target_context.refresh()
        finally:
            sys.meta_path.remove(finder)


start()
