"""``headway imports``: the imports made so far, and ``headway imports undo ID``."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from headway.cli.common import console, open_db

imports_app = typer.Typer(
    help="The imports made so far (each has an id); undo one.", no_args_is_help=False
)


@imports_app.callback(invoke_without_command=True)
def list_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """List every import, newest first: id, when, files, tool, counts, status."""
    if ctx.invoked_subcommand is not None:
        return
    from headway.api import Headway

    with open_db(read_only=True) as store:
        records = Headway(store, cache_bytes=0).imports()
    if as_json:
        data = [r.to_dict() for r in records]
        typer.echo(orjson.dumps(data, option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z).decode())
        return
    if not records:
        console.print("no imports yet", highlight=False)
        return
    for r in records:
        files = ", ".join(r.files)
        tool = f" --from {r.preset}" if r.preset else ""
        status = r.status if r.undone_rows is None else f"undone ({r.undone_rows} rows removed)"
        console.print(
            f"{r.id}  {r.started_at:%Y-%m-%d %H:%M:%S}  {r.imported} imported, "
            f"{r.duplicates} duplicates, {r.rejected} rejected  {status}{tool}  {files}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


@imports_app.command("undo")
def undo_command(
    import_id: Annotated[int, typer.Argument(help="The import's id (see 'headway imports').")],
) -> None:
    """Remove exactly the activities an import added (and nothing else)."""
    from headway.api import Headway

    with open_db() as store:
        report = Headway(store, cache_bytes=0).undo_import(import_id)
    console.print(
        f"import {report.import_id} undone: {report.activities_deleted} activities removed, "
        f"{report.contacts_deleted} contacts left empty removed, "
        f"{report.links_undone} identity links undone",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add the ``imports`` command group."""
    app.add_typer(imports_app, name="imports")
