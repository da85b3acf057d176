"""The ``headway`` console script: a command on a served database goes straight to the server.

A report in a fresh process costs a couple of CPU-seconds (the store, the engine, numba's
start); a command that a running server will run needs none of it. So the script first reads
the two things that decide (``--db`` before the command name, and the command name), asks
whether a live Headway server holds that database (``headway.local_socket``) and, if one
does, forwards the invocation at once. Anything else —
no server, ``--help``, an option it does not know, a command that is never forwarded — goes
to the full CLI (``headway.cli.main``), which decides the same way once it has parsed the line.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from pathlib import Path

# Commands that make no sense run by the server, with the sentence that says why.
LOCAL_ONLY = {
    "serve": "a Headway server already serves {db} (pid {pid}, {url}); stop it first "
    "or use another --db",
    "demo": "the demo builds a database of its own, and a Headway server serves {db} "
    "(pid {pid}); stop it first or use another --db",
}
DEFAULT_DB = "headway.duckdb"  # as headway.store.default_db_path, without loading the store


def main() -> None:
    """Entry point of the console script."""
    try:
        code = forwarded(sys.argv[1:])
        if code is None:
            from headway.cli import main as cli_main

            cli_main()
            return
        sys.exit(code)
    finally:
        # The command is done: what is still alive lives until the process ends, so leave it
        # out of the interpreter's last garbage collection, which would otherwise walk every
        # object of the loaded modules (a third of a CPU-second after a report).
        gc.freeze()


def forwarded(argv: list[str]) -> int | None:
    """The exit status of ``argv`` run by the server of its database; None when none runs."""
    found = database_and_command(argv)
    if found is None or found[1] in LOCAL_ONLY:
        return None
    from headway.local_socket.forward import find_server, resolved

    db = found[0]
    try:
        link = find_server(db)
    except Exception:
        return None  # the full CLI reports what is wrong
    if link is None:
        return None
    with link:
        return run(link, ["--db", str(resolved(db)), *argv], db)


def run(link: object, argv: list[str], db: Path) -> int:
    """Forward ``argv`` over ``link``; Ctrl-C and a vanished server as the CLI reports them."""
    from rich.console import Console
    from rich.markup import escape

    from headway.local_socket.forward import OutputClosed, ServerLink, forward_cli
    from headway.local_socket.routing import ClientIO, Terminal

    assert isinstance(link, ServerLink)
    err = Console(stderr=True)
    client = ClientIO(Terminal.of(Console()), Terminal.of(err), _isatty(), _stdin_encoding())
    try:
        return forward_cli(link, argv, client)
    except KeyboardInterrupt:
        err.print(interrupted(link.info), highlight=False)
        return 130
    except OutputClosed:  # `| head` had enough: end quietly, as a pipeline's writer does
        with contextlib.suppress(Exception):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (EOFError, OSError):
        message = f"the Headway server holding {db} stopped while running the command"
        err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
        return 2


def interrupted(info: dict[str, object]) -> str:
    """What a client interrupted by Ctrl-C says."""
    return (
        f"interrupted; the Headway server (pid {info.get('pid')}) finishes the command on its "
        "own (a write is kept whole or not at all)"
    )


def database_and_command(argv: list[str]) -> tuple[Path, str] | None:
    """The database and the command name of a command line; None when unsure."""
    db: str | None = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--db" and i + 1 < len(argv):
            db, i = argv[i + 1], i + 2
        elif arg.startswith("--db="):
            db, i = arg.removeprefix("--db="), i + 1
        elif arg.startswith("-") or not arg:
            return None  # --help, or an option only the full CLI knows
        else:
            return Path(db if db is not None else os.environ.get("HEADWAY_DB", DEFAULT_DB)), arg
    return None


def _isatty() -> bool:
    try:
        return sys.stdin.isatty()
    except (ValueError, AttributeError):
        return False


def _stdin_encoding() -> str:
    return getattr(sys.stdin, "encoding", None) or "utf-8"
