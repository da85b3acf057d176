"""A private copy of the demo world, changed as a test needs and served on its own port.

Tests that write (save a journey, ingest an odd contact) use a copy, so the shared demo
server's data stays as every other test expects it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from headway.store import Store
from tests.browser.conftest import DemoServer, serve


def copy_demo(demo_db: Path, directory: Path) -> Path:
    """Copy the demo database (and its write-ahead log, if any) into ``directory``."""
    copy = directory / "demo-copy.duckdb"
    shutil.copy(demo_db, copy)
    wal = demo_db.with_name(demo_db.name + ".wal")
    if wal.exists():
        shutil.copy(wal, copy.with_name(copy.name + ".wal"))
    return copy


@contextmanager
def serve_copy(
    demo_db: Path, directory: Path, prepare: Callable[[Store], None] | None = None
) -> Iterator[DemoServer]:
    """Serve a copy of the demo world, after ``prepare(store)`` changed it; stop on exit."""
    copy = copy_demo(demo_db, directory)
    if prepare is not None:
        store = Store(copy)
        try:
            prepare(store)
        finally:
            store.close()
    server = serve(copy)
    try:
        yield server
    finally:
        server.stop()
