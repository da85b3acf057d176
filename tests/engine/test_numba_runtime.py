"""numba's CPU target started without ``scipy.linalg`` (engine/numba_runtime.py, #13 Build 4).

Each check runs in a fresh interpreter: the start happens once per process.
"""

from __future__ import annotations

import json
import subprocess
import sys

START_THEN_USE = """
import json, sys
import numpy as np
from headway.engine.numba_runtime import njit

@njit(cache=False)
def total(a):
    s = 0
    for x in a:
        s += x
    return s

out = {"total": int(total(np.arange(10))), "linalg_at_start": "scipy.linalg" in sys.modules,
       "f2py_at_start": "numpy.f2py" in sys.modules}

@njit(cache=False)
def dot(a, b):
    return np.dot(a, b)

out["dot"] = float(dot(np.arange(3.0), np.arange(3.0)))  # BLAS: scipy.linalg loads now
from scipy.stats import fisher_exact
out["fisher"] = float(fisher_exact([[8, 2], [1, 5]])[1])
print(json.dumps(out))
"""

LINALG_FIRST = """
import json, sys
import scipy.linalg
from headway.engine.numba_runtime import njit
import numba.np.arraymath as arraymath
print(json.dumps({"blas": arraymath._HAVE_BLAS}))
"""


def run(code: str) -> dict[str, object]:
    """The JSON line a fresh interpreter prints for ``code``."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    found: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return found


def test_kernels_run_without_linear_algebra_loaded_and_blas_still_works_later() -> None:
    out = run(START_THEN_USE)
    assert out["total"] == 45
    assert out["linalg_at_start"] is False
    assert out["f2py_at_start"] is False
    assert out["dot"] == 5.0
    assert round(float(str(out["fisher"])), 6) == 0.034965  # SciPy's statistics load as usual


def test_a_process_that_loaded_linear_algebra_keeps_blas() -> None:
    assert run(LINALG_FIRST) == {"blas": True}
