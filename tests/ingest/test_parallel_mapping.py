"""Worker processes map a large export exactly as one process does."""

from __future__ import annotations

from pathlib import Path

import pytest

from headway.api import Headway
from headway.ingest import jsonlines
from headway.ingest.files import ImportOptions
from headway.store import Store

SAMPLES = Path(__file__).parents[2] / "examples" / "imports"


def imported(db: Path, path: Path, preset: str) -> tuple[object, ...]:
    """What importing ``path`` stored: activities with their order numbers, links, attributes."""
    with Headway(Store(db)) as hw:
        outcome = hw.import_files([path], ImportOptions(preset=preset))
        result = outcome.files[0]
        rows = hw.store.execute(
            "SELECT a.id, c.id, a.ts, CAST(a.properties AS VARCHAR) FROM activities a "
            "JOIN contacts c ON c.key = a.contact_key ORDER BY a.id"
        ).rows
        links = [(link.alias, link.contact, link.claimed_at) for link in hw.identities()]
        attributes = hw.store.execute(
            "SELECT id, CAST(attributes AS VARCHAR) FROM contacts WHERE attributes IS NOT NULL "
            "ORDER BY id"
        ).rows
    counts = (result.imported, result.duplicates, result.rejected)
    return counts, [str(d) for d in result.details], rows, sorted(links), attributes


def test_workers_give_the_result_of_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "export.jsonl"
    text = (SAMPLES / "mixpanel.jsonl").read_text(encoding="utf-8")
    path.write_text(text + "not json\n" + text.replace("mp-00", "mp-10"), encoding="utf-8")
    monkeypatch.setenv("HEADWAY_IMPORT_WORKERS", "1")
    alone = imported(tmp_path / "one.duckdb", path, "mixpanel")
    monkeypatch.setenv("HEADWAY_IMPORT_WORKERS", "2")
    monkeypatch.setattr(jsonlines, "CHUNK_LINES", 5)  # many chunks, in flight at once
    assert imported(tmp_path / "two.duckdb", path, "mixpanel") == alone
    # Each copy: 9 activities and bo's re-sent Sign Up (a duplicate; the second copy's ids are
    # mp-101.., so it repeats nothing of the first); one line is not JSON.
    assert alone[0] == (18, 2, 1)
