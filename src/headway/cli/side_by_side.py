"""The CLI beside a running server: commands on a served database run in the server.

``headway serve`` holds its database file (DuckDB allows one read-write process). When a
command's database is held by a live Headway server, the command is forwarded whole (its
arguments, working directory, terminal and stdin) over the server's local socket
(``headway.local_socket``) and runs there, in-process, on the server's open store; its output
and exit status come back as if it had run here. ``serve`` and ``demo`` are not forwarded
(``headway.launcher.LOCAL_ONLY``).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import PurePath
from typing import Any

import typer

from headway.cli.common import state
from headway.errors import ConfigError, HeadwayError
from headway.launcher import LOCAL_ONLY, run
from headway.service.types import served_key, served_store

_local = threading.local()
_command_lock = threading.Lock()
_command: Any = None  # the server's command tree (click objects are reusable across calls)


def set_argv(argv: list[str]) -> None:
    """Remember this process's command-line arguments: only a real invocation forwards."""
    _local.argv = list(argv)


def forward_if_served(command: str | None) -> None:
    """Run this invocation in the server holding the database, if one runs; exit with its status.

    The console script usually forwards before loading the CLI (``headway.launcher``); this
    catches what it left to the full parser (``python -m headway.cli``, unusual option forms).
    """
    argv = getattr(_local, "argv", None)
    if argv is None or command is None:
        return
    path = state.db_path()
    if served_store(path) is not None:
        return  # this process is the server
    from headway.local_socket.forward import find_server

    link = find_server(path)
    if link is None:
        return
    with link:
        if command in LOCAL_ONLY:
            raise ConfigError(LOCAL_ONLY[command].format(**{**link.info, "db": path}))
        code = run(link, ["--db", str(served_key(path)), *argv], path)
    raise typer.Exit(code)


def run_forwarded(argv: list[str]) -> int:
    """Run a forwarded command line in this (the server's) process; its exit status."""
    from headway.cli import report_error

    command = _forwardable()
    try:
        command.main(args=argv, prog_name="headway", standalone_mode=True)
    except SystemExit as exit:
        return _status(exit.code)
    except HeadwayError as err:
        report_error(err)
        return 2
    return 0


def _forwardable() -> Any:
    """The CLI's command tree, built once, with path arguments taken in the client's directory."""
    global _command
    with _command_lock:
        if _command is None:
            from headway.cli import app

            _command = typer.main.get_command(app)
            _paths_from_client(_command)
        return _command


def _status(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _paths_from_client(command: Any) -> None:
    """Make every path argument absolute in the client's directory (DuckDB's threads are not)."""
    for param in command.params:
        param.process_value = _absolute_paths(param.process_value)
    for sub in getattr(command, "commands", {}).values():
        _paths_from_client(sub)


def _absolute_paths(process_value: Any) -> Any:
    def absolute(ctx: Any, value: Any) -> Any:
        return _absolute(process_value(ctx, value))

    return absolute


def _absolute(value: Any) -> Any:
    if isinstance(value, PurePath) and str(value) != "-":
        return type(value)(os.path.abspath(value))  # this thread's directory is the client's
    if isinstance(value, list | tuple):
        return type(value)(_absolute(v) for v in value)
    return value
