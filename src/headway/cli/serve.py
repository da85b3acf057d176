"""``headway serve``: run the web app on the chosen database with uvicorn."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from headway.cli.common import err_console, open_db
from headway.errors import ConfigError

if TYPE_CHECKING:
    from headway.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback only for now).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)] = 8000,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Settings file (TOML or YAML); default: $HEADWAY_CONFIG."),
    ] = None,
) -> None:
    """Serve tracking links, webhooks and (later) the API and dashboard."""
    import uvicorn

    from headway.web.app import create_app

    check_host(host)
    settings = server_settings(config)
    with open_db(must_exist=False) as store:
        app = create_app(store, settings)
        err_console.print(f"Headway serving {store.path} on http://{host}:{port}", highlight=False)
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


def server_settings(config: Path | None) -> Settings:
    """Validated settings; without any settings (dev), an ephemeral signing key."""
    from headway.settings import (
        CONFIG_ENV,
        load_settings,
        require_tracking_keys,
        with_ephemeral_key,
    )

    settings = load_settings(config)
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


def check_host(host: str) -> None:
    """Refuse to bind anything but a loopback interface until API keys exist."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(
            f"refusing to serve on {host}: binding beyond localhost needs API keys, "
            "which this version does not support yet; use --host 127.0.0.1"
        )


def register(app: typer.Typer) -> None:
    """Add ``headway serve``."""
    app.command("serve")(serve)
