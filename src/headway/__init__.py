"""Headway: customer-journey and email-engagement analytics.

``headway.open(db)`` opens a database for analysts (see ``headway.api``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from headway.api import Headway


def open(db: Any = None, *, read_only: bool = False, cache_bytes: int | None = None) -> Headway:
    """Open a Headway database (default ``$HEADWAY_DB`` or ``./headway.duckdb``).

    ``cache_bytes`` bounds the memory of reused matches (default 512 MiB; 0 keeps none).
    """
    from headway.api import open as _open

    if cache_bytes is None:
        return _open(db, read_only=read_only)
    return _open(db, read_only=read_only, cache_bytes=cache_bytes)


__all__ = ["__version__", "open"]
