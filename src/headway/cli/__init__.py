"""The ``headway`` command.

Each module in this package that defines ``register(app)`` adds its commands; this file owns
the root app, the global ``--db`` option and the one error boundary of the CLI: a
``HeadwayError`` is printed as a sentence (with its details) and exits with status 2, never
with a traceback.

Every command module is imported to build the app, so each must be cheap to import: the API,
the engine and the store (DuckDB, pyarrow, numba, scipy) are imported inside the commands that
use them, and ``headway --help`` loads none of them (``tests/cli/test_startup_imports.py``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from headway.cli.common import err_console, spark_chosen, state
from headway.cli.side_by_side import forward_if_served, set_argv
from headway.errors import HeadwayError
from headway.memory_budget import choose_option as choose_memory

app = typer.Typer(
    name="headway",
    help="Headway: customer journeys, exact funnels and honest email statistics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Database file (default: $HEADWAY_DB or ./headway.duckdb)."),
    ] = None,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            help="Where reports run: duckdb (the --db file) or spark (over --source). "
            "Default: headway.toml's backend, else duckdb.",
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Spark: the activity table (Parquet or Delta directory, a `headway export` "
            "directory, or a catalog table name).",
        ),
    ] = None,
    source_format: Annotated[
        str | None,
        typer.Option("--source-format", help="Spark: parquet, delta or table (default: guessed)."),
    ] = None,
    master: Annotated[
        str | None,
        typer.Option("--master", help="Spark: the master URL (default: local[*])."),
    ] = None,
    memory: Annotated[
        str | None,
        typer.Option(
            "--memory",
            help="Memory budget of reports, e.g. 2GiB or 512MiB "
            "(default: $HEADWAY_MEMORY_BUDGET, else 2GiB).",
        ),
    ] = None,
) -> None:
    """Headway: customer journeys, exact funnels and honest email statistics."""
    choose_memory(memory)
    state.db = db
    state.command = ctx.invoked_subcommand
    state.backend, state.source, state.source_format, state.master = (
        backend,
        source,
        source_format,
        master,
    )
    if not spark_chosen():
        forward_if_served(ctx.invoked_subcommand)  # a server holds the database: it runs this


def _register_commands() -> None:
    package = sys.modules[__name__]
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name == "common" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def main() -> None:
    """Entry point of the console script: the CLI's one error boundary."""
    set_argv(sys.argv[1:])
    try:
        app(standalone_mode=True)
    except HeadwayError as err:
        report_error(err)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err_console.print("interrupted; nothing half-written was kept")
        raise SystemExit(130) from None


def report_error(err: HeadwayError) -> None:
    """Print an error as the user should see it: one sentence, then the details."""
    err_console.print(
        f"[bold red]error:[/] {escape(err.message)}", highlight=False, soft_wrap=True, markup=True
    )
    for detail in err.details[:50]:
        err_console.print(f"  {detail}", highlight=False, markup=False, soft_wrap=True)
    if len(err.details) > 50:
        err_console.print(f"  … and {len(err.details) - 50} more", highlight=False)
