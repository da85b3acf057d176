"""The databases this process serves: opening a served file returns the server's store.

DuckDB lets one process hold a database file read-write. While ``headway serve`` runs, the
CLI commands and Python API calls it runs for other processes (``headway.local_socket``) must
use the server's one open ``Store`` (its id index, write path and generation), never a second
connection: a second ``Store`` on the same file would count duplicates wrongly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headway.store.store import Store

_served: dict[Path, Served] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Served:
    """A database served by this process: its store and the server's ``Headway``."""

    store: Store
    headway: Any


def key(path: str | Path) -> Path:
    """The registry key of a database file: its absolute path, symlinks resolved."""
    return Path(path).expanduser().resolve()


def lookup(path: str | Path) -> Served | None:
    """The served database at ``path``, or None when this process does not serve it."""
    if not _served:
        return None
    with _lock:
        return _served.get(key(path))


def is_served(store: Store) -> bool:
    """Whether ``store`` is the open store of a database this process serves."""
    found = lookup(store.path)
    return found is not None and found.store is store


@contextmanager
def serving(store: Store, headway: Any) -> Iterator[Served]:
    """Register ``store`` as served by this process for the duration of a ``with`` block."""
    served = Served(store, headway)
    with _lock:
        _served[key(store.path)] = served
    try:
        yield served
    finally:
        with _lock:
            _served.pop(key(store.path), None)
