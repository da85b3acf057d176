"""A database served by this process: opening it again gives the server's store."""

from __future__ import annotations

from pathlib import Path

import pytest

import headway
from headway.api import Headway
from headway.cli.common import open_db, state
from headway.errors import StoreError
from headway.local_socket.remote import SharedHeadway
from headway.store import Store
from headway.store.open_stores import is_served, lookup, serving


def test_the_served_store_is_the_one_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "x.duckdb"
    with Store(db) as store:
        owner = Headway(store)
        with serving(store, owner):
            monkeypatch.chdir(tmp_path)
            assert lookup("x.duckdb") is not None and is_served(store)
            with pytest.raises(StoreError, match="is served by this process"):
                Store(db)  # a second connection would keep its own id index
            monkeypatch.setattr(state, "db", Path("x.duckdb"))
            with open_db(read_only=True) as opened:
                assert opened is store
            hw = headway.open(db)
            assert isinstance(hw, SharedHeadway) and hw.store is store and hw.cache is owner.cache
            hw.close()  # borrowed: the server's store stays open
            assert store.execute("SELECT 1").scalar() == 1
        assert lookup(db) is None and not is_served(store)
