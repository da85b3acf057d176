"""``headway journey validate|save|list|show|versions|delete`` and ``headway schema journey``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from headway.cli import app
from headway.errors import NotFound
from headway.model.journey import parse_journey

HEADWAY = str(Path(sys.executable).with_name("headway"))
V1 = "name: Leads\nstages:\n  - {name: Aware, when: {type: page_visit}}\n"
V2 = V1 + "  - {name: Engaged, when: {type: email_click, where: {email: welcome-1}}}\n"
BAD = "name: x\nstages:\n  - {name: a, when: {type: a}}\n  - {name: b, when: {type: b}}\n" + (
    "  - {name: c, when: {where: {url: {contain: x}}}}\n"
)


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", str(db), *args])


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_ok(db_path: Path, tmp_path: Path) -> None:
    result = run(db_path, "journey", "validate", str(write(tmp_path, "j.yaml", V2)))
    assert result.exit_code == 0
    assert result.stdout == "ok: Leads, 2 stages\n"
    assert not db_path.exists()  # validating needs no database


def test_validate_reports_every_problem_with_the_file(db_path: Path, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", BAD.replace("name: x", "name: x\nwindow: 10x"))
    result = run(db_path, "journey", "validate", str(bad))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines == [
        f"error: {bad}: window: '10x' is not a duration (use s, m, h, d, w, y)",
        f"error: {bad}: stages[2].when.where.url: unknown operator 'contain' (did you mean 'contains'?)",
    ]


def test_save_list_show_versions_delete(db_path: Path, tmp_path: Path) -> None:
    first = write(tmp_path, "v1.yaml", V1)
    second = write(tmp_path, "v2.yaml", V2)
    assert run(db_path, "journey", "save", str(first)).stdout == "saved: Leads version 1\n"
    assert run(db_path, "journey", "save", str(first)).stdout == "unchanged: Leads version 1\n"
    assert run(db_path, "journey", "save", str(second)).stdout == "saved: Leads version 2\n"

    listed = run(db_path, "journey", "list")
    assert listed.exit_code == 0 and "Leads" in listed.stdout and "2" in listed.stdout

    shown = run(db_path, "journey", "show", "Leads")
    assert shown.stdout == "# Leads, version 2\n" + V2
    assert run(db_path, "journey", "show", "Leads", "--version", "1").stdout.endswith(V1)
    canonical = json.loads(run(db_path, "journey", "show", "Leads", "--json").stdout)
    assert parse_journey(canonical) == parse_journey(V2)

    versions = run(db_path, "journey", "versions", "Leads").stdout
    assert [line.split()[0] for line in versions.splitlines()[2:]] == ["1", "2"]

    deleted = run(db_path, "journey", "delete", "Leads")
    assert deleted.stdout == "deleted: Leads (2 versions kept, readable with --version)\n"
    assert "no journeys saved yet" in run(db_path, "journey", "list").stdout
    assert run(db_path, "journey", "show", "Leads", "--version", "2").exit_code == 0


def test_missing_names_raise_headway_errors(db_path: Path, tmp_path: Path) -> None:
    run(db_path, "journey", "save", str(write(tmp_path, "v1.yaml", V1)))
    result = run(db_path, "journey", "show", "Lead")
    assert isinstance(result.exception, NotFound)
    assert result.exception.message == "no journey named 'Lead' (did you mean 'Leads'?)"


def test_schema_journey_prints_the_schema() -> None:
    result = CliRunner().invoke(app, ["schema", "journey"])
    schema = json.loads(result.stdout)
    assert schema["$schema"].endswith("2020-12/schema")
    assert {"stages", "window", "exclusions"} <= set(schema["properties"])


def _process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HEADWAY, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_invalid_file_as_a_real_process(tmp_path: Path) -> None:
    write(tmp_path, "bad.yaml", BAD)
    proc = _process("journey", "validate", "bad.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        "error: bad.yaml: stages[2].when.where.url: unknown operator 'contain'"
        " (did you mean 'contains'?)\n"
    )


@pytest.mark.slow
def test_errors_and_success_as_real_processes(db_path: Path, tmp_path: Path) -> None:
    write(tmp_path, "bad.yaml", BAD)
    run(db_path, "journey", "save", str(write(tmp_path, "v1.yaml", V1)))
    cases = [
        (["journey", "show", "Nope"], "error: no journey named 'Nope'"),
        (
            ["journey", "validate", "missing.yaml"],
            "error: journey file missing.yaml does not exist",
        ),
        (["journey", "save", "bad.yaml"], "error: bad.yaml: stages[2].when.where.url: unknown"),
    ]
    for args, message in cases:
        proc = _process("--db", str(db_path), *args, cwd=tmp_path)
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr
        assert " ".join(proc.stderr.split()).startswith(message)
    proc = _process("--db", str(db_path), "journey", "validate", "v1.yaml", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == "ok: Leads, 1 stage\n"
