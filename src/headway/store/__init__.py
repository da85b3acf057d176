"""The store: the one owner of the database connection (see ``store.py``)."""

from headway.store.store import Results, Store, default_db_path, open_store, to_sql
from headway.store.store_types import AppendResult

__all__ = ["AppendResult", "Results", "Store", "default_db_path", "open_store", "to_sql"]
