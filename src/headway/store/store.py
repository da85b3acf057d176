"""The store: the one owner of the DuckDB connection.

Everyone else hands it SQL (text or a SQLGlot tree) plus parameters and gets a small result
back. Reads run on per-thread cursors of the one database instance; writes go through one
serialised path. Activity appends from concurrent callers are group-committed: the writer
thread takes every batch waiting in its queue, appends them in one transaction and commits
once, then answers each caller. A return from ``append_activities`` means the rows are on
disk (DuckDB syncs its write-ahead log at commit).
"""

from __future__ import annotations

import fcntl
import os
import queue
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import numpy as np
import pyarrow as pa
from sqlglot import exp

from headway.conditions.typed import TypedColumns
from headway.errors import StoreError
from headway.store import appends, live_tables, property_columns, saved_matches
from headway.store.contact_keys import ContactKeys
from headway.store.id_index import IdIndex
from headway.store.open_stores import lookup
from headway.store.schema import MIGRATIONS, SCHEMA_VERSION
from headway.store.store_types import AppendResult

T = TypeVar("T")

DEFAULT_DB = "headway.duckdb"
LOCK_WAIT_SECONDS = 10.0
SWAP_WAIT_SECONDS = 30.0
Params = Sequence[Any] | dict[str, Any] | None
# The contact keys the write transaction in progress touched (None: nobody listens).
_TOUCHED: ContextVar[list[np.ndarray] | None] = ContextVar("headway_touched", default=None)


def touch_in_write(keys: Sequence[int]) -> None:
    """Inside a ``Store.write``: these contacts' activities changed (an identity merge or its
    undo), so live journeys match them again after the commit."""
    touched = _TOUCHED.get()
    if touched is not None:
        touched.append(np.asarray(list(keys), dtype=np.int64))


def drain(q: queue.Queue[T | None], first: T) -> tuple[list[T], bool]:
    """``first`` and what is queued behind it, up to the ``None`` sentinel; True if it came."""
    items = [first]
    while True:
        try:
            more = q.get_nowait()
        except queue.Empty:
            return items, False
        if more is None:
            return items, True
        items.append(more)


def default_db_path() -> Path:
    """The database file: ``$HEADWAY_DB`` or ``./headway.duckdb``."""
    return Path(os.environ.get("HEADWAY_DB", DEFAULT_DB))


@dataclass(frozen=True)
class Results:
    """Rows of one query with their column names."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def first(self) -> tuple[Any, ...] | None:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        """The first column of the first row (None when empty)."""
        return self.rows[0][0] if self.rows else None

    def dicts(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass
class _Pending:
    table: pa.Table
    future: Future[AppendResult] = field(default_factory=Future)


class _Stream:
    """Batches of a DuckDB reader; at the end (or when dropped) it closes the reader, which
    would otherwise keep the database open past ``rewrite_file``'s swap, and calls ``done``."""

    def __init__(self, reader: pa.RecordBatchReader, done: Callable[[], object]) -> None:
        self.reader: pa.RecordBatchReader | None = reader
        self.done = done

    def __iter__(self) -> _Stream:
        return self

    def __next__(self) -> pa.RecordBatch:
        if self.reader is None:
            raise StopIteration
        try:
            return self.reader.read_next_batch()
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        """Close the reader and say so, once."""
        if self.reader is not None:
            reader, self.reader = self.reader, None
            reader.close()
            self.done()

    def __del__(self) -> None:
        self.close()


def to_sql(query: str | exp.Expression) -> str:
    """SQL text for DuckDB from text or a SQLGlot tree."""
    return query if isinstance(query, str) else query.sql(dialect="duckdb")


class Store:
    """An open Headway database file."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.read_only = read_only
        self._conn = _connect(self.path, read_only)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._closed = False
        self._epoch = 0  # bumped when rewrite_file swaps the file: cursors of before are closed
        self._hold: int | None = None  # a descriptor keeping the lock of a rewritten file
        self._gate = threading.Condition()  # reads in flight vs. the swap of rewrite_file
        self._reads = 0
        self._swapping = False
        self.memory_limit: int | None = None  # DuckDB's cap when set (limit_memory)
        self._limit_lock = threading.Lock()
        # Bumped by every committed write: readers cache derived results per generation.
        self.generation = 0
        # Bumped by every write that may change contacts, activities or their catalogue: the
        # append path's in-memory contact keys and typed columns are current for one value.
        self._keys_generation = 0
        # The log's id hashes in memory: appends skip scanning the log for duplicates.
        self._ids = IdIndex()
        self._contacts = ContactKeys()
        # The typed property columns as the last append read them (store/property_columns.py).
        self._typed = property_columns.Known()
        # Told, after each commit that appended activities, the keys of their contacts
        # (live journeys keep those contacts' stage state current: headway/live/).
        self._append_listeners: list[Callable[[np.ndarray], None]] = []
        self._touched: list[np.ndarray] | None = None
        # Live journeys exist but no live worker listens (a command run without the server):
        # an append then marks their states stale, and the server rebuilds them at start.
        self._live_offline = False
        # A match is saved in the file (store/saved_matches.py): writes journal the contacts
        # they touch, so the saved match is extended rather than matched again.
        self.journaling = False
        if not read_only:
            self._migrate()
            # Paths that became common while no append ran (an older log, just migrated) get
            # their typed columns now (store/property_columns.py).
            self.write(property_columns.grow)
            self._live_offline = live_tables.any_live(self._conn)
            self.journaling = saved_matches.any_saved(self._conn)
        elif self._version() < SCHEMA_VERSION:
            raise StoreError(f"{self.path} is not a Headway database (or needs an upgrade)")

    # -- reads -------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's reader connection to the database."""
        cur = getattr(self._local, "cursor", None)
        if cur is None or getattr(self._local, "epoch", 0) != self._epoch:
            cur = self._conn.cursor()
            cur.execute("SET TimeZone = 'UTC'")
            cur.execute("SET enable_progress_bar_print = false")  # never draw on stdout
            self._local.cursor = cur
            self._local.epoch = self._epoch
        return cur

    def typed_columns(self) -> TypedColumns:
        """The log's typed property columns (store/property_columns.py)."""
        with self._reading():
            return property_columns.load(self.cursor())

    def execute(self, query: str | exp.Expression, params: Params = None) -> Results:
        """Run a read query; rows and column names."""
        with self._reading():
            rel = self.cursor().execute(to_sql(query), params)
            cols = tuple(d[0] for d in rel.description or ())
            return Results(cols, rel.fetchall())

    def arrow(
        self, query: str | exp.Expression, params: Params = None, rows: int = 131_072
    ) -> pa.Table:
        """Run a read query; an Arrow table (in chunks of ``rows`` rows)."""
        with self._reading():
            return self.cursor().sql(to_sql(query), params=params).to_arrow_table(rows)

    def limit_memory(self, limit_bytes: int) -> None:
        """Cap DuckDB's own memory (its buffer pool caches scanned columns up to the cap)
        at ``limit_bytes`` for this database; what does not fit spills to a temporary file.
        The reports' memory budget sets it (``backends/duckdb_partitions.py``)."""
        with self._limit_lock:  # a global setting, set through this thread's own cursor
            if self.memory_limit != limit_bytes:
                self.cursor().execute(f"SET GLOBAL memory_limit = '{int(limit_bytes)}B'")
                self.memory_limit = limit_bytes

    def arrow_batches(
        self, query: str | exp.Expression, params: Params = None, rows: int = 1_000_000
    ) -> pa.RecordBatchReader:
        """Run a read query; its rows streamed as Arrow record batches (bounded memory)."""
        reading = self._reading()
        reading.__enter__()  # until the stream is read to its end, closed or dropped
        try:
            reader = self.cursor().sql(to_sql(query), params=params).to_arrow_reader(rows)
        except BaseException:
            reading.__exit__(None, None, None)
            raise
        stream = _Stream(reader, lambda: reading.__exit__(None, None, None))
        return pa.RecordBatchReader.from_batches(reader.schema, stream)

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Hold off ``rewrite_file``'s swap while a read runs (and wait for a swap to end)."""
        with self._gate:
            self._gate.wait_for(lambda: not self._swapping)
            self._reads += 1
        try:
            yield
        finally:
            with self._gate:
                self._reads -= 1
                self._gate.notify_all()

    # -- writes ------------------------------------------------------------------------
    def write(
        self,
        fn: Callable[[duckdb.DuckDBPyConnection], T],
        *,
        derived: bool = False,
        keeps_contacts: bool = False,
    ) -> T:
        """Run ``fn(conn)`` in one transaction on the serialised write path.

        ``derived``: the write only keeps results derived from the data (saved matches), so
        the generation that readers key their caches on stays as it is.
        ``keeps_contacts``: the write changes neither contacts nor activities nor their
        catalogue (live stage state, journey events, action deliveries): readers' generation
        moves on, but the append path's contact keys and typed-column reading stay current
        (reloading them costs ~70-80 ms at 180k contacts, once per append that follows).
        """
        self._check_writable()
        with self._write_lock:
            conn = self._write_conn()
            conn.execute("BEGIN TRANSACTION")
            listening = self._append_listeners or self._live_offline or self.journaling
            self._touched = [] if listening else None
            token = _TOUCHED.set(self._touched)
            try:
                out = fn(conn)
                if self._touched and (self._live_offline and not self._append_listeners):
                    live_tables.mark_stale(conn)
                if self._touched and self.journaling:
                    saved_matches.journal(conn, self._touched)
            except BaseException:
                self._touched = None
                conn.execute("ROLLBACK")
                raise
            finally:
                _TOUCHED.reset(token)
            conn.execute("COMMIT")
            if not derived:
                self.generation += 1
                if not keeps_contacts:
                    self._keys_generation += 1
            touched, self._touched = self._touched, None
            if touched:
                keys = np.unique(np.concatenate(touched).astype(np.int64))
                for listener in list(self._append_listeners):
                    listener(keys)
            return out

    def on_append(self, listener: Callable[[np.ndarray], None]) -> Callable[[], None]:
        """Call ``listener(contact_keys)`` after every commit that appended activities (or
        ``touch``ed contacts); it must be quick. Returns the function that removes it."""
        self._append_listeners.append(listener)
        return lambda: self._append_listeners.remove(listener)

    def touch(self, keys: Sequence[int] | np.ndarray) -> None:
        """Inside ``write``: say that these contacts' activities changed (a merge, an undo)."""
        if self._touched is not None:
            self._touched.append(np.asarray(keys, dtype=np.int64))

    def append_activities(self, table: pa.Table) -> AppendResult:
        """Append a batch of activities (canonical columns); durable on return.

        Columns: ``id`` (null: derived from content), ``contact``, ``type``, ``ts``
        (timestamp, UTC), ``properties`` (JSON text), ``bot``, ``bot_reason``, ``source``.
        Ids already stored, or repeated within the batch, are dropped and counted.
        """
        self._check_writable()
        pending = _Pending(table)
        self._ensure_writer()
        self._queue.put(pending)
        return pending.future.result()

    def append_relation(
        self,
        conn: duckdb.DuckDBPyConnection,
        relation: str,
        import_id: int | None = None,
        members: Mapping[str, str] | None = None,
    ) -> AppendResult:
        """Append from a relation visible to ``conn`` (inside ``write``): the bulk path
        (``members``: see ``appends.append_relation``)."""
        return appends.append_relation(
            conn, relation, self._ids, import_id=import_id, touched=self._touched, members=members
        )

    def rewrite_file(self) -> None:
        """Copy the live data into a fresh file and put it in place of this one, atomically.

        DuckDB reuses freed blocks but never zeroes them, so deleted rows stay readable in the
        file until something overwrites them; a fresh copy holds only live rows (erasure).
        Writes wait meanwhile; the new file is locked before it takes the old one's name, so
        no other process can open either in between.
        """
        self._check_writable()
        with self._write_lock:
            fresh = self.path.with_name(self.path.name + ".rewrite")
            for leftover in (fresh, Path(f"{fresh}.wal")):
                leftover.unlink(missing_ok=True)
            conn = self._write_conn()
            name = str(conn.execute("SELECT current_database()").fetchall()[0][0])
            literal = str(fresh).replace("'", "''")
            conn.execute(f"ATTACH '{literal}' AS _hw_fresh")
            mark = f"rewritten {secrets.token_hex(8)}"
            try:
                conn.execute(
                    f'COPY FROM DATABASE "{name.replace(chr(34), chr(34) * 2)}" TO _hw_fresh'
                )
                conn.execute(f"COMMENT ON TABLE _hw_fresh.main.schema_version IS '{mark}'")
            finally:
                conn.execute("DETACH _hw_fresh")
            hold = os.open(fresh, os.O_RDWR)
            fcntl.lockf(hold, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.fsync(hold)
            with self._gate:  # new reads wait; reads in flight end first (a stuck one: 30 s)
                self._swapping = True
                self._gate.wait_for(lambda: self._reads == 0, timeout=SWAP_WAIT_SECONDS)
            try:
                self._swap(fresh, hold, mark)
            finally:
                with self._gate:
                    self._swapping = False
                    self._gate.notify_all()

    def _swap(self, fresh: Path, hold: int, mark: str) -> None:
        """Put ``fresh`` (locked by ``hold``, its ``schema_version`` commented ``mark``) in
        place of the open file and reopen it."""
        os.replace(fresh, self.path)
        self._conn.close()  # every cursor too; its checkpoint goes to the unlinked file
        Path(f"{self.path}.wal").unlink(missing_ok=True)  # the old file's log, if left
        _sync_dir(self.path)
        if self._hold is not None:
            os.close(self._hold)
        self._hold = hold  # closing it would drop DuckDB's lock too: kept until close()
        self._conn = duckdb.connect(str(self.path))
        self.__dict__.pop("_wconn", None)  # a cursor of the closed connection
        seen = self._conn.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'schema_version'"
        ).fetchall()
        if seen != [(mark,)]:
            # DuckDB handed back the old, still referenced database: writing to it would be
            # writing to a deleted file. Refuse every write rather than lose them.
            self._closed = True
            raise StoreError(f"{self.path} was rewritten but could not be reopened; restart")
        self._epoch += 1
        self.generation += 1
        self._keys_generation += 1

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        """Finish queued writes and close the database."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
        self._conn.close()
        if self._hold is not None:
            os.close(self._hold)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------
    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.path} is open read-only")
        if self._closed:
            raise StoreError("the store is closed")

    def _write_conn(self) -> duckdb.DuckDBPyConnection:
        conn = getattr(self, "_wconn", None)
        if conn is None:
            conn = self._conn.cursor()
            conn.execute("SET TimeZone = 'UTC'")
            conn.execute("SET enable_progress_bar_print = false")
            self._wconn = conn
        return conn

    def _ensure_writer(self) -> None:
        with self._write_lock:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_loop, name="headway-writer", daemon=True
                )
                self._writer.start()

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group, stop = drain(self._queue, first)
            self._commit_group(group)
            if stop:
                return

    def _commit_group(self, group: list[_Pending]) -> None:
        try:
            results = self._append_tables([p.table for p in group])
        except Exception:
            # One bad batch must not fail its neighbours: retry each on its own.
            for p in group:
                try:
                    p.future.set_result(self._append_tables([p.table])[0])
                except Exception as err:
                    p.future.set_exception(err)
            return
        for p, r in zip(group, results, strict=True):
            p.future.set_result(r)

    def _append_tables(self, tables: list[pa.Table]) -> list[AppendResult]:
        """One transaction appending ``tables``, with the in-memory contact keys kept current."""
        start = self._keys_generation

        def append(conn: duckdb.DuckDBPyConnection) -> list[AppendResult]:
            nonlocal start
            start = self._keys_generation  # the write lock is held: no write can slip in now
            self._contacts.sync(conn, start)
            self._typed.sync(start)
            return appends.append_batches(
                conn, tables, self._ids, self._contacts, self._touched, self._typed
            )

        try:
            results = self.write(append)
        except BaseException:
            self._contacts.forget()
            self._typed.forget()
            raise
        self._contacts.committed(start + 1)
        self._typed.committed(start + 1)
        return results

    def _version(self) -> int:
        exists = self._conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchone()
        if not exists or not exists[0]:
            return 0
        row = self._conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0) if row else 0

    def _migrate(self) -> None:
        version = self._version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer Headway (schema {version}); upgrade Headway"
            )
        if version == SCHEMA_VERSION:
            return

        def apply(conn: duckdb.DuckDBPyConnection) -> None:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
            )
            for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in statements:
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [number])

        self.write(apply)


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    if read_only and not path.exists():
        raise StoreError(
            f"{path} does not exist (create it with 'headway import' or 'headway demo')"
        )
    if lookup(path) is not None:
        raise StoreError(f"{path} is served by this process; use its open store")
    deadline = time.monotonic() + lock_wait()
    waiting = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as err:
            text = str(err)
            if "lock" not in text.lower():
                raise _open_error(path, err) from None
            holder = _holder(text)
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"{path} is in use by another Headway process{holder}; stop it or use "
                    "another --db"
                ) from None
            if not waiting:  # another command holds the file briefly: wait for it, once said
                waiting = True
                sys.stderr.write(f"waiting for {path}: in use by another process{holder}\n")
                sys.stderr.flush()
            time.sleep(0.1)
        except duckdb.Error as err:
            raise _open_error(path, err) from None


def _sync_dir(path: Path) -> None:
    """Make a rename in ``path``'s directory durable."""
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def lock_wait() -> float:
    """Seconds to wait for a database another process holds: ``$HEADWAY_LOCK_WAIT`` or 10."""
    try:
        return max(0.0, float(os.environ.get("HEADWAY_LOCK_WAIT", LOCK_WAIT_SECONDS)))
    except ValueError:
        return LOCK_WAIT_SECONDS


def _holder(text: str) -> str:
    found = re.search(r"\(PID (\d+)\)", text)
    return f" (pid {found.group(1)})" if found else ""


def _open_error(path: Path, err: duckdb.Error) -> StoreError:
    text = str(err)
    if isinstance(err, duckdb.IOException):
        if "not a valid duckdb database" in text.lower():
            return StoreError(f"{path} is not a DuckDB database (is it another kind of file?)")
        return StoreError(f"cannot open {path}: {text.splitlines()[0]}")
    return StoreError(f"{path} is not a DuckDB database ({text.splitlines()[0]})")


@contextmanager
def open_store(path: str | Path | None = None, *, read_only: bool = False) -> Iterator[Store]:
    """Open a store for the duration of a ``with`` block."""
    store = Store(path, read_only=read_only)
    try:
        yield store
    finally:
        store.close()
