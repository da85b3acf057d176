"""What every CLI command shares: the database option, the console, the error boundary."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.console import Console

from headway.local_socket.routing import RoutedConsole
from headway.service.types import served_store

if TYPE_CHECKING:  # the store (DuckDB, pyarrow) loads when a command opens it, not for --help
    from headway.api import Headway, Store
    from headway.settings import Settings

DEFAULT_CONFIG = "headway.toml"  # read for the backend settings when $HEADWAY_CONFIG is unset

# Per thread: in a server, each forwarded command prints to its own client (local_socket).
# Markup is off by default: names from the data ('[Amplitude] Page Viewed') are printed as
# they are, in tables and titles too; the few styled lines pass markup=True and escape().
console = cast(Console, RoutedConsole(Console(markup=False), "stdout"))
err_console = cast(Console, RoutedConsole(Console(stderr=True, markup=False), "stderr"))


@dataclass
class CliState(threading.local):
    """Options given before the command name (``headway --db X COMMAND``), per thread."""

    db: Path | None = None
    # --backend / --source / --source-format / --master (None: the settings file's, if any).
    backend: str | None = None
    source: str | None = None
    source_format: str | None = None
    master: str | None = None
    command: str | None = None  # the command's name, for errors that name it

    def db_path(self) -> Path:
        """The chosen database: ``--db``, else ``$HEADWAY_DB``, else ``./headway.duckdb``."""
        from headway.service.types import default_db_path

        return self.db if self.db is not None else default_db_path()


state = CliState()


def backend_settings() -> Settings:
    """The settings with the backend options of this command line applied over them."""
    from headway.settings import load_settings

    path = None
    if not os.environ.get("HEADWAY_CONFIG") and Path(DEFAULT_CONFIG).is_file():
        path = Path(DEFAULT_CONFIG)
    settings = load_settings(path)
    spark = {
        key: value
        for key, value in (
            ("source", state.source),
            ("source_format", state.source_format),
            ("master", state.master),
        )
        if value is not None
    }
    backend = state.backend or ("spark" if state.source is not None else settings.backend)
    if backend not in ("duckdb", "spark"):
        from headway.errors import ConfigError

        raise ConfigError(f"--backend must be duckdb or spark, not {backend!r}")
    return settings.model_copy(
        update={"backend": backend, "spark": settings.spark.model_copy(update=spark)}
    )


def _backend_configured() -> bool:
    """Whether anything but the default (DuckDB) could be chosen: an option or a settings file."""
    if state.backend is not None or state.source is not None:
        return True
    if os.environ.get("HEADWAY_CONFIG") or Path(DEFAULT_CONFIG).is_file():
        return True
    return any(k == "HEADWAY_BACKEND" or k.startswith("HEADWAY_SPARK__") for k in os.environ)


def spark_chosen() -> bool:
    """Whether this command line asks for the Spark backend (by option, not settings)."""
    return state.backend == "spark" or (state.backend is None and state.source is not None)


@contextmanager
def open_headway(*, read_only: bool = True) -> Iterator[Headway]:
    """The reports' service for one command: on the DuckDB store, or on Spark over a source."""
    from headway.api import Headway, open_spark

    settings = backend_settings() if _backend_configured() else None
    if settings is None or settings.backend == "duckdb":
        with open_db(read_only=read_only) as store:
            yield Headway(store)
        return
    with open_spark(settings.spark) as hw:
        yield hw


def served_here() -> bool:
    """Whether this process serves the chosen database (the command was forwarded to it)."""
    return served_store(state.db_path()) is not None


@contextmanager
def open_service(*, read_only: bool = False, must_exist: bool = True) -> Iterator[Headway]:
    """The service on the chosen DuckDB database for one command (see ``open_db``)."""
    from headway.api import Headway

    with open_db(read_only=read_only, must_exist=must_exist) as store:
        yield Headway(store)


@contextmanager
def open_db(*, read_only: bool = False, must_exist: bool = True) -> Iterator[Store]:
    """Open the chosen database for one command (in a server: the server's open store)."""
    if spark_chosen():
        from headway.errors import NotOnBackend

        raise NotOnBackend(f"headway {_command_name()}", "spark")
    path = state.db_path()
    served = served_store(path)
    if served is not None:
        yield served.store  # a command forwarded to the server: its store stays open
        return
    if must_exist and not path.exists():
        from headway.errors import NotFound

        raise NotFound(
            f"database {path} does not exist; create it with 'headway import' or 'headway demo'"
        )
    from headway.local_socket.forward import remove_if_stale
    from headway.service.types import Store

    store = Store(path, read_only=read_only)

    remove_if_stale(path)  # this process holds the file: a socket for it is a dead server's
    try:
        yield store
    finally:
        store.close()


def _command_name() -> str:
    return state.command or "this command"
