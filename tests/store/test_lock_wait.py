"""A database another process holds briefly: wait for it (bounded), saying so once."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from headway.errors import StoreError
from headway.store import Store

HOLD = """
import sys, time
from headway.store import Store
s = Store(sys.argv[1])
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
s.close()
"""


def hold(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding ``db`` for ``seconds``, once it has opened it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    return holder


def test_waits_for_a_file_held_briefly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "x.duckdb"
    Store(db).close()
    monkeypatch.setenv("HEADWAY_LOCK_WAIT", "60")
    holder = hold(db, 1.0)
    try:
        started = time.monotonic()
        with Store(db) as store:
            assert store.execute("SELECT 1").scalar() == 1
        assert time.monotonic() - started < 30
    finally:
        holder.communicate(timeout=30)
    err = capsys.readouterr().err
    assert err.count("waiting for") == 1
    assert f"waiting for {db}: in use by another process (pid {holder.pid})" in err


def test_gives_up_after_the_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "x.duckdb"
    Store(db).close()
    monkeypatch.setenv("HEADWAY_LOCK_WAIT", "0.5")
    holder = hold(db, 30)
    try:
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            Store(db)
        assert 0.5 <= time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.communicate()
    assert caught.value.message == (
        f"{db} is in use by another Headway process (pid {holder.pid}); stop it or use another --db"
    )
