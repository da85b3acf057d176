"""The memory budget of reports: how much a process may use while it matches a journey.

Set by ``--memory`` (before the command name), the ``memory_budget`` setting or
``HEADWAY_MEMORY_BUDGET``; 2 GiB by default. Sizes are bytes or a number with a unit
(``512MiB``, ``2GiB``, ``1.5GB``; KiB/MiB/GiB/TiB are powers of 1024, KB/MB/GB/TB of 1000).
The DuckDB backend splits a journey's activities into as many partitions of whole contacts
as the budget needs (``backends/duckdb_partitions.py``).
"""

from __future__ import annotations

import os
import re

from headway.errors import ConfigError

ENV = "HEADWAY_MEMORY_BUDGET"
GIB = 1024**3
DEFAULT_MEMORY_BUDGET = 2 * GIB
MIN_MEMORY_BUDGET = 256 * 1024**2  # below this, the interpreter and its libraries alone exceed it
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")

_chosen: int | None = None


def parse_memory(value: str | int) -> int:
    """A memory size in bytes from ``2GiB``, ``512MiB``, ``1.5GB`` or a number of bytes."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a memory size such as 2GiB or 512MiB")
    if isinstance(value, int):
        size = value
    else:
        found = _SIZE.match(str(value))
        unit = found.group(2).lower() if found else ""
        if found is None or unit not in _UNITS:
            raise ValueError(f"{value!r} is not a memory size such as 2GiB or 512MiB")
        size = int(float(found.group(1)) * _UNITS[unit])
    if size < MIN_MEMORY_BUDGET:
        raise ValueError(f"{value!r} is too small: the memory budget must be at least 256MiB")
    return size


def choose(budget: int | None) -> None:
    """Use ``budget`` bytes for this process's reports (None: the environment's or 2 GiB)."""
    global _chosen
    _chosen = budget


def choose_default(budget: int) -> None:
    """Use ``budget`` (the settings') unless ``--memory`` chose one."""
    if _chosen is None:
        choose(budget)


def choose_option(text: str | None) -> None:
    """Apply ``--memory TEXT`` (None: not given); a bad size is a ``ConfigError``."""
    if text is None:
        choose(None)
        return
    try:
        choose(parse_memory(text))
    except ValueError as err:
        raise ConfigError(f"--memory: {err}") from None


def current() -> int:
    """This process's budget: chosen, else ``$HEADWAY_MEMORY_BUDGET``, else 2 GiB."""
    if _chosen is not None:
        return _chosen
    text = os.environ.get(ENV)
    if not text:
        return DEFAULT_MEMORY_BUDGET
    try:
        return parse_memory(text)
    except ValueError as err:
        raise ConfigError(f"{ENV}: {err}") from None


def describe(size: int) -> str:
    """A size as text, e.g. ``2 GiB`` or ``768 MiB``."""
    if size % GIB == 0:
        return f"{size // GIB} GiB"
    return f"{size / 1024**2:.0f} MiB"
