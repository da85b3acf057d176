"""The store: the one owner of the database connection (see ``store.py``).

Its names load on first use (PEP 562): the CLI's start-up imports light submodules such as
``headway.store.open_stores`` and must not pay for DuckDB, pyarrow and sqlglot to do so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from headway.store.store import Results, Store, default_db_path, open_store, to_sql
    from headway.store.store_types import AppendResult

__all__ = ["AppendResult", "Results", "Store", "default_db_path", "open_store", "to_sql"]


def __getattr__(name: str) -> object:
    """A name of ``store.py`` (or ``AppendResult``), imported when first asked for."""
    if name == "AppendResult":
        from headway.store.store_types import AppendResult

        return AppendResult
    if name in __all__:
        from headway.store import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
