"""Which format a file is in, and the checks that turn unreadable files into one sentence.

The format comes from the extension (``.jsonl``/``.ndjson``/``.json``, ``.csv``/``.tsv``,
``.parquet``/``.pq``, each also with ``.gz`` except Parquet) unless given explicitly.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from headway.errors import InvalidInput, NotFound

FORMATS = ("jsonl", "csv", "parquet")
_EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_PARQUET_MAGIC = b"PAR1"
_GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: Path) -> bool:
    """True when the file name says it is gzip-compressed."""
    return path.suffix.lower() == ".gz"


def detect(path: Path, given: str | None = None) -> str:
    """The file's format: ``given``, else from its extension."""
    if given is not None:
        if given not in FORMATS:
            raise InvalidInput(f"unknown format {given!r} (use one of: {', '.join(FORMATS)})")
        return given
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = _EXTENSIONS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise InvalidInput(
            f"{path}: cannot tell the format from the name; pass --format jsonl, csv or parquet"
        )
    return fmt


def check_readable(path: Path, fmt: str) -> None:
    """One clear sentence for a missing, empty, binary, corrupt or mislabelled file."""
    if not path.exists():
        raise NotFound(f"{path} does not exist")
    if path.is_dir():
        raise InvalidInput(f"{path} is a directory, not a file")
    if path.stat().st_size == 0:
        raise InvalidInput(f"{path} is empty")
    if fmt == "parquet":
        _check_parquet(path)
        return
    head = _head(path)
    if not head.strip():
        raise InvalidInput(f"{path} is empty")
    if b"\x00" in head:
        hint = " (it looks like Parquet: pass --format parquet)" if head.startswith(b"PAR1") else ""
        raise InvalidInput(f"{path} is a binary file, not {fmt.upper()} text{hint}")


def _check_parquet(path: Path) -> None:
    if is_gzip(path):
        raise InvalidInput(f"{path}: Parquet files cannot be gzipped (Parquet compresses itself)")
    with path.open("rb") as f:
        start = f.read(4)
        f.seek(max(path.stat().st_size - 4, 0))
        end = f.read(4)
    if start != _PARQUET_MAGIC or end != _PARQUET_MAGIC:
        raise InvalidInput(
            f"{path} is not a Parquet file (pass --format csv or jsonl if it is text)"
        )


def _head(path: Path, size: int = 65536) -> bytes:
    """The first bytes of the (decompressed) content."""
    if not is_gzip(path):
        with path.open("rb") as f:
            return f.read(size)
    with path.open("rb") as raw:
        if raw.read(2) != _GZIP_MAGIC:
            raise InvalidInput(f"{path} is not a gzip file (its name ends in .gz)")
    try:
        with gzip.open(path, "rb") as f:
            return f.read(size)
    except (OSError, EOFError, zlib.error):
        raise InvalidInput(f"{path} is a corrupt or truncated gzip file") from None
