"""What every CLI command shares: the database option, the console, the error boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from headway.store import Store, default_db_path

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    """Options given before the command name (``headway --db X COMMAND``)."""

    db: Path | None = None

    def db_path(self) -> Path:
        """The chosen database: ``--db``, else ``$HEADWAY_DB``, else ``./headway.duckdb``."""
        return self.db if self.db is not None else default_db_path()


state = CliState()


@contextmanager
def open_db(*, read_only: bool = False, must_exist: bool = True) -> Iterator[Store]:
    """Open the chosen database for one command."""
    path = state.db_path()
    if must_exist and not path.exists():
        from headway.errors import NotFound

        raise NotFound(
            f"database {path} does not exist; create it with 'headway import' or 'headway demo'"
        )
    store = Store(path, read_only=read_only)
    try:
        yield store
    finally:
        store.close()
