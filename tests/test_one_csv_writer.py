"""One CSV writer: every CSV Headway writes (CLI, REST API, dashboard, exports) goes through
``headway.safe_csv`` and its spreadsheet-formula guard; no other module writes CSV itself."""

from __future__ import annotations

import re
from pathlib import Path

import headway

PACKAGE = Path(headway.__file__).parent
WRITES_CSV = re.compile(
    r"\bcsv\.(writer|DictWriter)\(|from csv import [^\n]*\b(writer|DictWriter)\b"
)


def csv_writers(root: Path) -> list[str]:
    """Modules under ``root`` (but ``safe_csv.py``) that write CSV with the csv module."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "safe_csv.py" and WRITES_CSV.search(p.read_text(encoding="utf-8"))
    )


def test_only_safe_csv_writes_csv() -> None:
    assert csv_writers(PACKAGE) == []


def test_a_direct_csv_writer_is_found(tmp_path: Path) -> None:
    (tmp_path / "export.py").write_text("import csv\n\nw = csv.writer(open('x', 'w'))\n")
    (tmp_path / "safe_csv.py").write_text("import csv\n\nw = csv.writer(open('x', 'w'))\n")
    (tmp_path / "reader.py").write_text("import csv\n\nr = csv.reader(open('x'))\n")
    assert csv_writers(tmp_path) == ["export.py"]
