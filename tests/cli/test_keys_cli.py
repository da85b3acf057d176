"""``headway keys``: create (shown once), list (never secrets), revoke."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from headway.cli import app
from headway.errors import InvalidInput, NotFound
from headway.store import Store
from headway.store.api_keys import KeyInfo, authenticate, list_keys

HEADWAY = Path(sys.executable).parent / "headway"
KEY = re.compile(r"hw_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [str(HEADWAY), "--db", str(db), "keys", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_create_prints_the_key_once_with_a_warning(db_path: Path) -> None:
    done = run(db_path, "create", "--scope", "ingest", "--scope", "read", "--name", "loader")
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert KEY.fullmatch(key)  # stdout holds only the key: KEY=$(headway keys create ...)
    assert "cannot be shown again" in done.stderr
    assert "scopes: ingest, read; name: loader" in done.stderr
    with Store(db_path) as store:
        principal = authenticate(store, key)
        assert principal is not None and principal.scopes == frozenset({"ingest", "read"})
    listed = CliRunner().invoke(app, ["--db", str(db_path), "keys", "list"])
    assert listed.exit_code == 0 and "loader" in listed.output
    assert key not in listed.output and key.split("_", 2)[2] not in listed.output


def test_a_bad_scope_is_one_sentence_and_exit_2(db_path: Path) -> None:
    done = run(db_path, "create", "--scope", "write")
    assert done.returncode == 2
    assert "unknown scope 'write'; the scopes are ingest, read and admin" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not db_path.exists()  # nothing was created
    missing = CliRunner().invoke(app, ["--db", str(db_path), "keys", "create"])
    assert missing.exit_code == 2 and "--scope" in missing.output  # required


def test_list_and_revoke(db_path: Path) -> None:
    runner = CliRunner()
    for scope, name in (("admin", "ops [team]"), ("read", "")):
        args = ["--db", str(db_path), "keys", "create", "--scope", scope]
        result = runner.invoke(app, [*args, "--name", name] if name else args)
        assert result.exit_code == 0, result.output
    first, second = (k.id for k in _keys(db_path))
    result = runner.invoke(app, ["--db", str(db_path), "keys", "revoke", first])
    assert result.exit_code == 0 and f"revoked API key {first}" in result.output
    result = runner.invoke(app, ["--db", str(db_path), "keys", "list"], env={"COLUMNS": "100"})
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "ops [team]" in lines[first] and "admin" in lines[first]
    assert re.search(r"\d{4}-\d\d-\d\d\s+\d{4}-\d\d-\d\d\s*$", lines[first])  # created, revoked
    assert re.search(r"read\s+\d{4}-\d\d-\d\d\s*$", lines[second])  # not revoked
    assert [k.active for k in _keys(db_path)] == [False, True]


def test_revoking_an_unknown_key_names_it(db_path: Path) -> None:
    Store(db_path).close()
    result = CliRunner().invoke(app, ["--db", str(db_path), "keys", "revoke", "nope"])
    assert isinstance(result.exception, NotFound)
    assert "no API key with id 'nope'" in result.exception.message


def test_an_empty_list_says_local_mode(db_path: Path) -> None:
    Store(db_path).close()
    result = CliRunner().invoke(app, ["--db", str(db_path), "keys", "list"])
    assert result.exit_code == 0 and "no API keys" in result.output


def test_a_long_name_is_refused(db_path: Path) -> None:
    args = ["--db", str(db_path), "keys", "create", "--scope", "read", "--name", "x" * 101]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, InvalidInput)


def _keys(db_path: Path) -> list[KeyInfo]:
    with Store(db_path) as store:
        return list(list_keys(store))
