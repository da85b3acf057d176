"""The server's side of the local socket: it runs clients' CLI commands and API calls.

Each connection gets a thread: ``hello``, then either one ``cli`` request (the command runs
in-process on the server's open store, its output streamed back as ``out``/``err`` frames,
its stdin asked for with ``stdin`` frames, its status sent as ``exit``) or any number of
``call`` requests (a ``Headway`` method; ``result`` or ``error``).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from headway import __version__
from headway.errors import ConfigError, HeadwayError
from headway.local_socket import frames, routing
from headway.local_socket.address import socket_path
from headway.store import Store
from headway.store.open_stores import serving

RunCli = Callable[[list[str]], int]


class Listener:
    """A server's Unix socket for the CLI and the Python API on the same database."""

    def __init__(self, store: Store, headway: Any, url: str, run_cli: RunCli) -> None:
        self.store, self.headway, self.url, self.run_cli = store, headway, url, run_cli
        self.path = socket_path(store.path, create=True)
        self._sock: socket.socket | None = None
        self._inode = 0
        self._closed = threading.Event()
        self._active: set[threading.Thread] = set()
        self._idle: set[socket.socket] = set()  # API connections waiting for their next call
        self._lock = threading.Lock()

    def start(self) -> None:
        """Listen (replacing a stale socket of a server that died) and accept in a thread."""
        _remove_stale(self.path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        partial = self.path.with_name(f"{self.path.stem}.{os.getpid()}.tmp")
        partial.unlink(missing_ok=True)
        sock.bind(str(partial))
        os.chmod(partial, 0o600)
        sock.listen(64)
        sock.settimeout(0.25)  # accept wakes up to notice close()
        os.replace(partial, self.path)  # clients never see a socket that does not listen yet
        self._inode = os.stat(self.path).st_ino
        self._sock = sock
        routing.install()
        threading.Thread(target=self._accept, name="headway-socket", daemon=True).start()

    def close(self, wait: float = 60.0) -> None:
        """Stop accepting; let running commands finish (up to ``wait`` seconds); remove the socket."""
        if self._closed.is_set():
            return
        self._closed.set()
        with contextlib.suppress(OSError):
            if os.stat(self.path).st_ino == self._inode:
                self.path.unlink()
        with self._lock:
            for idle in self._idle:  # a notebook's open handle must not hold the shutdown
                with contextlib.suppress(OSError):
                    idle.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + wait
        for thread in list(self._active):
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._sock is not None:
            self._sock.close()
        routing.uninstall()

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self._active.add(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(None)
                frames.check_peer(conn)
                channel = routing.Channel(conn)
                self._converse(channel)
        except (EOFError, OSError, frames.PeerRefused):
            pass  # the client went away or was not this user
        finally:
            with self._lock:
                self._active.discard(threading.current_thread())

    def _converse(self, channel: routing.Channel) -> None:
        kind, *_ = frames.receive(channel.sock)
        if kind != "hello":
            return
        channel.send(("hello", self.describe()))
        while not channel.gone:
            frame = self._next_request(channel.sock)
            if frame[0] == "cli":
                _kind, argv, cwd, client = frame
                with routing.working_directory(cwd), routing.routed(channel, client):
                    code = self._run_cli(argv)
                channel.send(("exit", code))
                return
            if frame[0] == "call":
                _kind, name, args, kwargs, cwd = frame
                with routing.working_directory(cwd):
                    channel.send(self._call(name, args, kwargs))

    def _next_request(self, sock: socket.socket) -> tuple[Any, ...]:
        with self._lock:
            if self._closed.is_set():
                raise EOFError("the server is stopping")
            self._idle.add(sock)
        try:
            return frames.receive(sock)
        finally:
            with self._lock:
                self._idle.discard(sock)

    def describe(self) -> dict[str, Any]:
        """Who this server is: its database, process, address and version."""
        return {"db": str(self.store.path), "pid": os.getpid(), "url": self.url,
                "version": __version__}  # fmt: skip

    def _run_cli(self, argv: list[str]) -> int:
        try:
            return self.run_cli(argv)
        except BaseException:  # a bug in a command must not take the server down
            traceback.print_exc()  # to the client (routed stderr)
            print(f"headway serve: a forwarded command failed: {argv}", file=sys.__stderr__)
            traceback.print_exc(file=sys.__stderr__)
            return 1

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        if name.startswith("_") or not callable(getattr(type(self.headway), name, None)):
            return ("error", HeadwayError(f"Headway has no method {name!r}"))
        try:
            result = getattr(self.headway, name)(*args, **kwargs)
        except Exception as err:  # the caller gets the error as if the call ran at home
            return ("error", _portable(err))
        try:
            pickle.dumps(result)
        except Exception as err:
            return ("error", HeadwayError(f"{name} returned what cannot be sent back: {err}"))
        return ("result", result)


def _portable(err: Exception) -> Exception:
    """``err`` if it survives pickling, else a ``HeadwayError`` saying the same."""
    try:
        pickle.loads(pickle.dumps(err))
    except Exception:
        return HeadwayError(f"{type(err).__name__}: {err}")
    if not isinstance(err, HeadwayError):
        err.add_note("(raised in the Headway server)\n" + "".join(traceback.format_exception(err)))
    return err


def _remove_stale(path: Path) -> None:
    if not path.exists():
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink(missing_ok=True)  # nobody listens: a server that was killed
        return
    finally:
        probe.close()
    raise ConfigError(f"another Headway server listens on {path}")


@contextmanager
def side_by_side(store: Store, headway: Any, url: str, run_cli: RunCli) -> Iterator[Listener]:
    """Serve ``store`` to this process's forwarded commands and to other processes' clients."""
    listener = Listener(store, headway, url, run_cli)
    with serving(store, headway), _terminate_gracefully():
        listener.start()
        try:
            yield listener
        finally:
            listener.close()


@contextmanager
def _terminate_gracefully() -> Iterator[None]:
    """Make SIGTERM unwind (socket removed, store closed) instead of killing the process.

    uvicorn shuts down on SIGTERM, then raises the signal again under the handler it found;
    the default one would end the process before any ``finally`` runs.
    """
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(0)
