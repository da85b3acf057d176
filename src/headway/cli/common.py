"""What every CLI command shares: the database option, the console, the error boundary."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.console import Console

from headway.local_socket.routing import RoutedConsole
from headway.store.open_stores import lookup

if TYPE_CHECKING:  # the store (DuckDB, pyarrow) loads when a command opens it, not for --help
    from headway.store import Store

# Per thread: in a server, each forwarded command prints to its own client (local_socket).
# Markup is off by default: names from the data ('[Amplitude] Page Viewed') are printed as
# they are, in tables and titles too; the few styled lines pass markup=True and escape().
console = cast(Console, RoutedConsole(Console(markup=False), "stdout"))
err_console = cast(Console, RoutedConsole(Console(stderr=True, markup=False), "stderr"))


@dataclass
class CliState(threading.local):
    """Options given before the command name (``headway --db X COMMAND``), per thread."""

    db: Path | None = None

    def db_path(self) -> Path:
        """The chosen database: ``--db``, else ``$HEADWAY_DB``, else ``./headway.duckdb``."""
        from headway.store import default_db_path

        return self.db if self.db is not None else default_db_path()


state = CliState()


def served_here() -> bool:
    """Whether this process serves the chosen database (the command was forwarded to it)."""
    return lookup(state.db_path()) is not None


@contextmanager
def open_db(*, read_only: bool = False, must_exist: bool = True) -> Iterator[Store]:
    """Open the chosen database for one command (in a server: the server's open store)."""
    path = state.db_path()
    served = lookup(path)
    if served is not None:
        yield served.store  # a command forwarded to the server: its store stays open
        return
    if must_exist and not path.exists():
        from headway.errors import NotFound

        raise NotFound(
            f"database {path} does not exist; create it with 'headway import' or 'headway demo'"
        )
    from headway.local_socket.forward import remove_if_stale
    from headway.store import Store

    store = Store(path, read_only=read_only)

    remove_if_stale(path)  # this process holds the file: a socket for it is a dead server's
    try:
        yield store
    finally:
        store.close()
