"""``headway.open`` on a served database: a ``Headway`` whose calls run in the server.

``RemoteHeadway`` has every public method of ``Headway`` (generated from it, so methods added
later come along); a call sends its name and arguments to the server, which runs it on its
own ``Headway`` (the same store, write path and match cache as the dashboard) and sends back
the result or the error, both pickled.
"""

from __future__ import annotations

import functools
import inspect
import os
import pickle
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from headway.api import Headway
from headway.errors import InvalidInput, StoreError
from headway.local_socket import frames
from headway.local_socket.forward import ServerLink, find_server
from headway.store import default_db_path
from headway.store.open_stores import lookup

_LOCAL = frozenset({"close"})


def served_headway(db: str | Path | None) -> Headway | None:
    """The ``Headway`` of a database a server holds (in this process or another), else None."""
    path = Path(db) if db is not None else default_db_path()
    served = lookup(path)
    if served is not None:
        return SharedHeadway(served.headway)
    link = find_server(path)
    return RemoteHeadway(link, path) if link is not None else None


class SharedHeadway(Headway):
    """The serving process's own ``Headway``, borrowed: closing it leaves the server's store open."""

    def __init__(self, owner: Headway) -> None:
        self.__dict__.update(owner.__dict__)

    def close(self) -> None:
        """Nothing to close: the server owns the store."""


class RemoteHeadway(Headway):
    """A database held by a running ``headway serve``: every method runs in the server."""

    def __init__(self, link: ServerLink, db: Path) -> None:
        self._link: ServerLink | None = link
        self._db = db
        self._info = dict(link.info)
        self._closed = False
        self._call_lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(
            f"{name} is not available here: {self._db} is held by the Headway server "
            f"(pid {self._info.get('pid')}); call Headway's methods, they run in the server"
        )

    @property
    def server(self) -> dict[str, Any]:
        """The server's database, process id, address and version."""
        return dict(self._info)

    def close(self) -> None:
        """Close the connection to the server (the server keeps the database open)."""
        with self._call_lock:
            self._closed = True
            if self._link is not None:
                self._link.close()
                self._link = None

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        frame = ("call", name, _sendable(args), _sendable(kwargs), os.getcwd())
        try:
            data = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as err:
            raise InvalidInput(
                f"the arguments of {name} cannot be sent to the server: {err}"
            ) from None
        with self._call_lock:
            link = self._connection()
            try:
                frames.send_encoded(link.sock, data)
                kind, value = frames.receive(link.sock)
            except BaseException as err:  # interrupted, or the server stopped: start afresh
                self._link = None
                link.close()
                if isinstance(err, (EOFError, OSError)):
                    raise StoreError(
                        f"the Headway server holding {self._db} stopped during {name}; "
                        "call headway.open again"
                    ) from None
                raise
        if kind == "error":
            raise value
        return value

    def _connection(self) -> ServerLink:
        if self._closed:
            raise StoreError(f"this Headway handle on {self._db} is closed")
        if self._link is None:
            self._link = find_server(self._db)
            if self._link is None:
                raise StoreError(
                    f"no Headway server holds {self._db} any more; call headway.open again"
                )
        return self._link


def _sendable(value: Any) -> Any:
    """Arguments as values: one-shot iterators (generators) become lists."""
    if isinstance(value, tuple):
        return tuple(_sendable(v) for v in value)
    if isinstance(value, dict):
        return {k: _sendable(v) for k, v in value.items()}
    if isinstance(value, Iterator):
        return list(value)
    return value


def _forwarding(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def method(self: RemoteHeadway, *args: Any, **kwargs: Any) -> Any:
        return self._call(name, args, kwargs)

    return method


for _name, _member in inspect.getmembers(Headway, inspect.isfunction):
    if not _name.startswith("_") and _name not in _LOCAL:
        setattr(RemoteHeadway, _name, _forwarding(_name, _member))
