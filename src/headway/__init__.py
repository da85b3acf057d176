"""Headway: customer-journey and email-engagement analytics.

``headway.open(db)`` opens a database for analysts (see ``headway.api``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from headway.api import Headway


def open(db: Any = None, *, read_only: bool = False) -> Headway:
    """Open a Headway database (default ``$HEADWAY_DB`` or ``./headway.duckdb``)."""
    from headway.api import open as _open

    return _open(db, read_only=read_only)


__all__ = ["__version__", "open"]
