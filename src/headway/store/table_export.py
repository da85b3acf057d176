"""``headway export PATH``: the store as a contact-partitioned table that Spark reads directly.

Layout (docs/scale-out.md)::

    PATH/activities/bucket=B/part-0.parquet   B = contact_key % buckets (Hive-style), one file
                                              per bucket, rows sorted by contact_key, ts, id
    PATH/contacts/part-0.parquet              key, id, attributes
    PATH/emails/part-0.parquet                the email registry (id, name, subject, campaign,
    PATH/email_links/part-0.parquet           kind, send_time, created_at; email_id, link_id,
                                              url, label, honeypot): email statistics on Spark
    PATH/_headway_export.json                 what was written (format, buckets, counts),
                                              the activity types present (sorted), each
                                              activity file with its size in bytes, and the
                                              typed property columns

Activities are read through ``activity_log``, so identity merges are applied: ``contact`` and
``contact_key`` are those of the contact an activity counts for. Columns: ``id``, ``contact``,
``contact_key`` (BIGINT, Headway's dense key), ``type`` (the name), ``ts`` (UTC, microseconds,
written time-zone aware), ``properties`` (JSON text), ``source``, ``bot``, then the store's
typed property columns (store/property_columns.py: a common path's values of one JSON kind,
NULL for other kinds), listed in the manifest's ``typed`` (keys, kind, column) so a reader's
conditions use them instead of parsing the JSON (conditions/typed.py). Each bucket is one
DuckDB query (its own sort, so memory stays that of one bucket). ``delta`` writes the same
files and then converts each directory in place into a Delta table with delta-rs
(``deltalake``, no JVM): the transaction log only lists the Parquet files DuckDB wrote.

The export is written into a hidden sibling directory and moved into place at the end, so
an interrupted export leaves no half-written table at ``PATH``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from headway.conditions.typed import TypedColumns
from headway.errors import InvalidInput
from headway.store.store import Store

TABLE_FORMATS = ("parquet", "delta")
MANIFEST = "_headway_export.json"
ROWS_PER_BUCKET = 1_000_000  # the default bucket count: about one bucket per million rows
MAX_BUCKETS = 1024

_ACTIVITIES = """SELECT a.id, c.id AS contact, CAST(a.contact_key AS BIGINT) AS contact_key,
    t.name AS type, timezone('UTC', a.ts) AS ts, CAST(a.properties AS VARCHAR) AS properties,
    a.source, a.bot{typed}
FROM activity_log a
JOIN contacts c ON c.key = a.contact_key
JOIN activity_types t ON t.code = a.type_code
WHERE a.contact_key % $buckets = $bucket
ORDER BY a.contact_key, a.ts, a.id"""
_CONTACTS = """SELECT CAST(key AS BIGINT) AS key, id, CAST(attributes AS VARCHAR) AS attributes
FROM contacts ORDER BY key"""
# The email registry, as the store has it (times UTC, written time-zone aware like ``ts``).
REGISTRY = {
    "emails": """SELECT id, name, subject, campaign, kind, timezone('UTC', send_time) AS send_time,
    timezone('UTC', created_at) AS created_at FROM emails ORDER BY id""",
    "email_links": """SELECT email_id, link_id, url, label, honeypot FROM email_links
ORDER BY email_id, link_id""",
}


@dataclass(frozen=True)
class TableExport:
    """What ``export_table`` wrote."""

    path: str
    format: str
    buckets: int
    activities: int
    contacts: int
    seconds: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (also the manifest written beside the tables)."""
        return asdict(self)


def export_table(
    store: Store,
    path: str | Path,
    fmt: str = "parquet",
    *,
    buckets: int | None = None,
    overwrite: bool = False,
) -> TableExport:
    """Write the activity log and contacts under ``path`` as a contact-partitioned table."""
    target = Path(path)
    check_target(target, fmt, overwrite)
    if buckets is not None and not 1 <= buckets <= MAX_BUCKETS:
        raise InvalidInput(f"--buckets must be between 1 and {MAX_BUCKETS}, not {buckets}")
    started = time.perf_counter()
    rows = int(store.execute("SELECT count(*) FROM activity_log").scalar())
    n = buckets or min(MAX_BUCKETS, max(1, -(-rows // ROWS_PER_BUCKET)))
    staging = target.parent / f".{target.name}.exporting-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        typed = store.typed_columns()
        activities = _write_activities(store, staging / "activities", n, typed)
        contacts = _write_parquet(store, _CONTACTS, {}, staging / "contacts" / "part-0.parquet")
        for name, query in REGISTRY.items():
            _write_parquet(store, query, {}, staging / name / "part-0.parquet")
        if fmt == "delta":
            _convert_to_delta(staging / "activities", partitioned=True)
            for name in ("contacts", *REGISTRY):
                _convert_to_delta(staging / name, partitioned=False)
        seconds = round(time.perf_counter() - started, 3)
        report = TableExport(str(target), fmt, n, activities, contacts, seconds)
        manifest = {
            **report.to_dict(),
            "exported_at": datetime.now(UTC).isoformat(),
            **export_layout(staging / "activities"),
            "typed": typed_manifest(typed),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        _put_in_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def check_target(target: Path, fmt: str, overwrite: bool) -> None:
    """Refuse an unknown format, a file, or a non-empty directory (unless ``overwrite``)."""
    if fmt not in TABLE_FORMATS:
        raise InvalidInput(f"unknown table format {fmt!r}: use parquet or delta")
    if not target.parent.is_dir():
        raise InvalidInput(f"{target.parent} does not exist; create it first")
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_dir():
        raise InvalidInput(f"{target} is a file; give a directory to write the table into")
    if not any(target.iterdir()):
        return
    if not overwrite:
        raise InvalidInput(f"{target} is not empty; pass --overwrite to replace the export there")
    if not (target / MANIFEST).is_file():
        raise InvalidInput(
            f"{target} holds files that are not a Headway export; --overwrite replaces only "
            "an earlier export (or an empty directory)"
        )


def export_layout(root: Path) -> dict[str, object]:
    """What a reader may take from the manifest instead of scanning the activities written
    under ``root``: the type names present (sorted) and every data file (its path under
    ``root``) with its size, so a reader can check the files are still the ones written."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    files = sorted(root.glob("bucket=*/*.parquet"))
    types: set[str] = set()
    for file in files:
        names = pc.unique(pq.read_table(file, columns=["type"]).column("type"))
        types.update(str(name) for name in names.to_pylist() if name is not None)
    return {
        "types": sorted(types),
        "files": {f.relative_to(root).as_posix(): f.stat().st_size for f in files},
    }


def _write_activities(store: Store, root: Path, buckets: int, typed: TypedColumns) -> int:
    """One sorted Parquet file per bucket (with the store's typed property columns); the
    number of rows written."""
    names = "".join(f', a."{name}"' for name in typed.columns.values())
    query = _ACTIVITIES.format(typed=names)
    written = 0
    for bucket in range(buckets):
        file = root / f"bucket={bucket}" / "part-0.parquet"
        written += _write_parquet(store, query, {"buckets": buckets, "bucket": bucket}, file)
    return written


def typed_manifest(typed: TypedColumns) -> list[dict[str, object]]:
    """The typed property columns as the manifest lists them: keys, JSON kind, column."""
    return [
        {"keys": list(keys), "kind": kind, "column": name}
        for (keys, kind), name in sorted(typed.columns.items(), key=lambda item: item[1])
    ]


def _write_parquet(store: Store, query: str, params: dict[str, int], file: Path) -> int:
    """Write ``query``'s rows, in order, to one Parquet file; the row count."""
    file.parent.mkdir(parents=True, exist_ok=True)
    copy = f"COPY ({query}) TO $file (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
    return int(store.execute(copy, {**params, "file": str(file)}).scalar() or 0)


def _convert_to_delta(root: Path, *, partitioned: bool) -> None:
    """Make a directory of Parquet files a Delta table, in place (delta-rs writes the log)."""
    # delta-rs logs a warning per string column it keeps no statistics for: noise here.
    os.environ.setdefault("RUST_LOG", "error")
    try:
        import deltalake
        from deltalake.schema import Field, PrimitiveType, Schema
    except ImportError:
        raise InvalidInput(
            "--format delta needs the deltalake package: pip install 'headway[spark]'"
        ) from None
    schema = Schema([Field("bucket", PrimitiveType("integer"))]) if partitioned else None
    deltalake.convert_to_deltalake(
        str(root), partition_by=schema, partition_strategy="hive" if partitioned else None
    )


def _put_in_place(staging: Path, target: Path) -> None:
    """Move the finished export to ``target`` (an earlier export there is removed)."""
    old = target.parent / f".{target.name}.replaced-{os.getpid()}"
    if target.exists():
        target.rename(old)
    staging.rename(target)
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(old)
