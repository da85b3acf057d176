"""``headway serve``: run the web app on the chosen database with uvicorn."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from headway.cli.common import err_console, open_db, state
from headway.errors import ConfigError

if TYPE_CHECKING:
    from headway.api import Headway
    from headway.settings import Settings


def serve(
    host: Annotated[
        str, typer.Option(help="Interface to bind; beyond loopback only once an API key exists.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)] = 8000,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Settings file (TOML or YAML); default: $HEADWAY_CONFIG."),
    ] = None,
) -> None:
    """Serve the dashboard, the API, tracking links and webhooks."""
    from headway.web.auth import is_loopback
    from headway.web.shutdown import exit_past_busy_threads

    if not is_loopback(host) and not state.db_path().exists():
        check_host(host)  # no database, so no keys: refuse without creating the file
    settings = server_settings(config)
    if settings.backend != "duckdb":
        from headway.errors import NotOnBackend

        # The dashboard and the API serve the DuckDB store; Spark runs reports from the CLI
        # and Python (docs/scale-out.md).
        raise NotOnBackend("headway serve", settings.backend)
    # Absolute: commands run for clients work in their own directories (docs/architecture.md).
    state.db = state.db_path().resolve()
    try:
        _serve(host, port, settings)
    except SystemExit as stop:  # SIGTERM unwinds as SystemExit(0) (local_socket/listener.py)
        if stop.code not in (0, None):
            raise
    exit_past_busy_threads()  # store closed, socket removed: nothing left to lose


def _serve(host: str, port: int, settings: Settings) -> None:
    from headway.cli.side_by_side import run_forwarded
    from headway.local_socket.listener import side_by_side
    from headway.web.app import create_app
    from headway.web.http_server import server_options
    from headway.web.shutdown import run_server

    with open_db(must_exist=False) as store:
        app = create_app(store, settings)  # binds nothing yet
        check_host(host, app.state.headway)
        url = f"http://{host}:{port}"
        err_console.print(f"Headway serving {store.path} on {url}", highlight=False)
        err_console.print(_access(app.state.headway), highlight=False)
        with side_by_side(store, app.state.headway, url, run_forwarded):
            options = server_options(settings.http)  # header timeout, connection cap
            # Bounded shutdown: gone within 5 s of SIGTERM, even mid-request (web/shutdown.py).
            run_server(
                app, host=host, port=port, log_level="warning", server_header=False, **options
            )


def server_settings(config: Path | None) -> Settings:
    """Validated settings; without any settings (dev), an ephemeral signing key."""
    from headway import memory_budget
    from headway.settings import (
        CONFIG_ENV,
        load_settings,
        require_tracking_keys,
        with_ephemeral_key,
    )

    settings = load_settings(config)
    memory_budget.choose_default(settings.memory_budget)  # --memory wins
    no_file = config is None and not os.environ.get(CONFIG_ENV)
    if no_file and settings.tracking.enabled and not settings.tracking.keys:
        err_console.print(
            "no settings file: tracking links are signed with an ephemeral key "
            "that dies with this process (use --config for real sends)",
            highlight=False,
        )
        return with_ephemeral_key(settings)
    require_tracking_keys(settings)
    return settings


def check_host(host: str, hw: Headway | None = None) -> None:
    """Refuse to bind anything but loopback unless ``hw``'s database holds an active API key.

    Without keys the server is in local mode (every route open to local callers), so it
    must not be reachable from other machines.
    """
    from headway.web.auth import is_loopback  # late: the web stack loads only to serve

    if is_loopback(host) or (hw is not None and hw.any_keys()):
        return
    raise ConfigError(
        f"refusing to serve on {host}: binding beyond localhost needs API keys and the "
        "database has no active key; create one with 'headway keys create --scope admin' "
        "or use --host 127.0.0.1"
    )


def _access(hw: Headway) -> str:
    if hw.any_keys():
        return "API keys required (dashboard: log in with a read key; see docs/api-keys.md)"
    return (
        "local mode: no API keys, so this machine's users need none "
        "(create one with 'headway keys create --scope admin')"
    )


def register(app: typer.Typer) -> None:
    """Add ``headway serve``."""
    app.command("serve")(serve)
