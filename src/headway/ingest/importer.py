"""One ``headway import``: its files checked first, then imported one transaction each, under
one import id (``store/imports.py``), with a preset's identity claims and contact attributes
recorded beside the activities (``store/identities.py``). A dry run checks and counts
everything, then rolls each file back; it gets no id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import duckdb

from headway.ingest.files import FileResult, ImportOptions, Report, Warn, check_file, import_file
from headway.ingest.tool_exports import Collected
from headway.store import Store
from headway.store import imports as import_log

ReportFor = Callable[[Path], Report | None]


@dataclass
class ImportOutcome:
    """What one import did: its id (None for a dry run) and each file's result."""

    import_id: int | None
    files: list[FileResult] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        """Rejected records over every file."""
        return sum(r.rejected for r in self.files)


def run_import(
    store: Store,
    paths: list[Path],
    options: ImportOptions,
    *,
    report_for: ReportFor | None = None,
    warn: Warn | None = None,
) -> ImportOutcome:
    """Check every file, then import them one transaction each under one import id."""
    check_files(paths, options)
    if options.dry_run:
        outcome = ImportOutcome(None)
    else:
        outcome = ImportOutcome(
            import_log.begin_import(store, [str(p) for p in paths], options.preset)
        )
    try:
        for path in paths:
            report = report_for(path) if report_for is not None else None
            outcome.files.append(
                import_file(
                    store,
                    path,
                    options,
                    report,
                    import_id=outcome.import_id,
                    warn=warn,
                    sink=partial(record_collected, import_id=outcome.import_id),
                )
            )
    except BaseException:
        if outcome.import_id is not None and not outcome.files:
            import_log.discard_import(store, outcome.import_id)  # it wrote nothing
        raise
    if outcome.import_id is not None:
        import_log.finish_import(store, outcome.import_id)
    return outcome


def check_files(paths: list[Path], options: ImportOptions) -> None:
    """Every file's checks, before anything of any is written (one sentence per problem)."""
    for path in paths:
        check_file(path, options)


def record_collected(
    conn: duckdb.DuckDBPyConnection, collected: Collected, *, import_id: int | None = None
) -> tuple[int, int]:
    """Record a file's identity claims (the new links tagged with ``import_id``) and contact
    attributes; (claims recorded, contacts updated)."""
    from headway.store.identities import record_claims, set_attributes

    outcomes = record_claims(conn, list(collected.identities.values()))
    links = [o.link_id for o in outcomes if o.status in ("merged", "conflict")]
    if links and import_id is not None:
        import_log.tag_links(conn, import_id, [link for link in links if link is not None])
    recorded = len(links)
    updated = set_attributes(conn, collected.attributes.items()) if collected.attributes else 0
    return recorded, updated
