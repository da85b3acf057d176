"""Where a database's server listens: private, short, one name per file."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from headway.errors import ConfigError
from headway.local_socket.address import MAX_SOCKET_PATH, socket_dir, socket_path


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private runtime directory ($XDG_RUNTIME_DIR), short as real ones are."""
    base = Path(tempfile.mkdtemp(prefix="hw-run-", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(base))
    yield base
    shutil.rmtree(base)


def test_one_socket_per_file_however_named(
    runtime: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "data" / "x.duckdb"
    db.parent.mkdir()
    (tmp_path / "link").symlink_to(db.parent)
    monkeypatch.chdir(db.parent)
    path = socket_path(db, create=True)
    assert path.parent == runtime / "headway" == socket_dir()
    assert socket_path("x.duckdb") == socket_path(tmp_path / "link" / "x.duckdb") == path
    assert socket_path(tmp_path / "y.duckdb") != path
    assert (os.stat(path.parent).st_mode & 0o777) == 0o700
    assert len(os.fsencode(path)) <= MAX_SOCKET_PATH


def test_a_directory_open_to_others_is_refused(runtime: Path, tmp_path: Path) -> None:
    (runtime / "headway").mkdir(mode=0o755)
    os.chmod(runtime / "headway", 0o755)
    with pytest.raises(ConfigError, match="open to other users; run 'chmod 700"):
        socket_path(tmp_path / "x.duckdb")


def test_a_path_too_long_for_a_socket_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("d" * 90)
    deep.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(deep))
    with pytest.raises(ConfigError, match="too long for a Unix socket"):
        socket_path(tmp_path / "x.duckdb", create=True)
