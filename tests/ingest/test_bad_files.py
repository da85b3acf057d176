"""The corpus of bad files: each failure mode gets exactly one clear sentence.

The files are generated here (small, and their bytes are visible in the test); the same
messages are checked in-process and through a real ``headway`` subprocess.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from headway.errors import HeadwayError
from headway.ingest.files import ImportOptions, import_file
from headway.store import Store

HEADWAY = Path(sys.executable).parent / "headway"
GOOD_CSV = "contact,type,ts\na,page_visit,2024-03-01T10:00:00Z\n"


def _parquet_bytes(tmp: Path) -> bytes:
    path = tmp / "_p.parquet"
    pq.write_table(pa.table({"contact": ["a"], "type": ["t"], "ts": [1709287200]}), path)
    return path.read_bytes()


def _parquet(tmp: Path, columns: dict[str, list[object]]) -> bytes:
    path = tmp / "_q.parquet"
    pq.write_table(pa.table(columns), path)
    return path.read_bytes()


def _truncated_gzip(text: str) -> bytes:
    data = gzip.compress(text.encode() * 5000)
    return data[: len(data) // 2]


# name -> (file name, content maker, options, expected message with {path})
CORPUS: dict[str, tuple[str, Callable[[Path], bytes] | None, ImportOptions, str]] = {
    "missing": ("nope.csv", None, ImportOptions(), "{path} does not exist"),
    "empty": ("empty.csv", lambda t: b"", ImportOptions(), "{path} is empty"),
    "blank": ("blank.jsonl", lambda t: b"\n  \n", ImportOptions(), "{path} is empty"),
    "missing column": (
        "users.csv",
        lambda t: b"user,type,ts\na,t,2024-03-01T10:00:00Z\n",
        ImportOptions(),
        "{path}: no column 'contact' for the activity contact (its columns: 'user', 'type', "
        "'ts'); name them with --map contact=COLUMN",
    ),
    "every missing or wrong column at once": (
        "events.parquet",
        lambda t: _parquet(t, {"user": ["a"], "event": ["t"], "ts": [True]}),
        ImportOptions(),
        "{path}: no column 'contact' for the activity contact; no column 'type' for the "
        "activity type; column 'ts' has type BOOLEAN, which is not a timestamp (its columns: "
        "'user', 'event', 'ts'); name them with --map contact=COLUMN,type=COLUMN",
    ),
    "csv named parquet": (
        "text.parquet",
        lambda t: GOOD_CSV.encode(),
        ImportOptions(),
        "{path} is not a Parquet file (pass --format csv or jsonl if it is text)",
    ),
    "binary named csv": (
        "image.csv",
        lambda t: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        ImportOptions(),
        "{path} is a binary file, not CSV text",
    ),
    "parquet named csv": (
        "data.csv",
        _parquet_bytes,
        ImportOptions(),
        "{path} is a binary file, not CSV text (it looks like Parquet: pass --format parquet)",
    ),
    "binary jsonl": (
        "data.jsonl",
        lambda t: bytes(range(256)),
        ImportOptions(),
        "{path} is a binary file, not JSONL text",
    ),
    "not gzip": (
        "plain.csv.gz",
        lambda t: GOOD_CSV.encode(),
        ImportOptions(),
        "{path} is not a gzip file (its name ends in .gz)",
    ),
    "corrupt gzip": (
        "bad.csv.gz",
        lambda t: b"\x1f\x8b\x08\x00garbage-garbage-garbage",
        ImportOptions(),
        "{path} is a corrupt or truncated gzip file",
    ),
    "truncated gzip jsonl": (
        "cut.jsonl.gz",
        lambda t: _truncated_gzip('{"contact":"a","type":"t","ts":1709287200}\n'),
        ImportOptions(),
        "{path} is a corrupt or truncated gzip file",
    ),
    "unknown extension": (
        "events.xlsx",
        lambda t: b"whatever",
        ImportOptions(),
        "{path}: cannot tell the format from the name; pass --format jsonl, csv or parquet",
    ),
    "gzipped parquet": (
        "a.parquet.gz",
        lambda t: gzip.compress(b"x"),
        ImportOptions(),
        "{path}: Parquet files cannot be gzipped (Parquet compresses itself)",
    ),
    "bad tz": (
        "naive.csv",
        lambda t: GOOD_CSV.encode(),
        ImportOptions(tz="Mars/Olympus"),
        "unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Berlin or UTC)",
    ),
}


def _make(tmp_path: Path, name: str) -> tuple[Path, ImportOptions, str]:
    file_name, maker, options, message = CORPUS[name]
    path = tmp_path / file_name
    if maker is not None:
        path.write_bytes(maker(tmp_path))
    return path, options, message.format(path=path)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_bad_file_gets_one_sentence(store: Store, tmp_path: Path, name: str) -> None:
    path, options, message = _make(tmp_path, name)
    with pytest.raises(HeadwayError) as caught:
        import_file(store, path, options)
    assert caught.value.message == message
    assert store.execute("SELECT count(*) FROM activities").scalar() == 0


def test_truncated_gzip_csv_is_one_sentence(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(_truncated_gzip(GOOD_CSV))
    with pytest.raises(HeadwayError) as caught:
        import_file(store, path)
    assert caught.value.message.startswith(f"{path} cannot be read as CSV: ")
    assert "\n" not in caught.value.message
    assert store.execute("SELECT count(*) FROM activities").scalar() == 0


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HEADWAY), "--db", str(cwd / "h.duckdb"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"COLUMNS": "400", "PATH": "/usr/bin:/bin"},
        check=False,
    )


@pytest.mark.parametrize(
    "name", ["missing", "empty", "csv named parquet", "corrupt gzip", "missing column"]
)
def test_bad_file_through_the_real_command(tmp_path: Path, name: str) -> None:
    path, _, message = _make(tmp_path, name)
    done = _run("import", str(path), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"error: {message}\n"
    assert "Traceback" not in done.stdout + done.stderr


def test_rejected_records_through_the_real_command(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(GOOD_CSV + "b,page_visit,2024-13-01\n,x,2024-03-01T10:00:00Z\n")
    done = _run("import", str(path), cwd=tmp_path)
    assert done.returncode == 3
    assert done.stdout == (
        f"{path}: 1 imported, 0 duplicates, 2 rejected\n"
        "import 1 (undo it with: headway imports undo 1)\n"
    )
    assert done.stderr == (
        f"  {path}: line 3: ts: '2024-13-01' is not a date\n  {path}: line 4: contact: is required\n"
    )
    failed = _run("import", "--on-error", "fail", str(path), cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.startswith(
        f"error: {path}: 2 record(s) rejected; nothing from this file was written\n"
    )
