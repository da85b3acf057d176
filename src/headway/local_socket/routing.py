"""Per-thread output, input and working directory of the commands a server runs for clients.

The server runs several clients' commands at once, each on its own thread. ``sys.stdout``,
``sys.stderr`` and ``sys.stdin`` become routers that send each thread's text to the client
it works for (other threads keep the process's own streams), the CLI's Rich consoles are
``RoutedConsole`` proxies resolving to a console shaped like the client's terminal, and each
such thread gets a working directory of its own (Linux ``unshare(CLONE_FS)``) so relative
paths mean what they meant in the client's shell.
"""

from __future__ import annotations

import ctypes
import io
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, cast

from rich.console import Console

from headway.local_socket import frames

_local = threading.local()
_install_lock = threading.Lock()
_installed = 0
_originals: tuple[Any, Any, Any] | None = None
_CLONE_FS = 0x200
_chdir_lock = threading.RLock()  # without per-thread directories: one command at a time


@dataclass(frozen=True)
class Terminal:
    """What one of a client's consoles looks like; the server's console for it copies this."""

    is_terminal: bool
    width: int
    height: int
    color_system: str | None
    no_color: bool
    is_interactive: bool
    encoding: str

    @classmethod
    def of(cls, console: Console) -> Terminal:
        """The facts of ``console`` (on the client)."""
        return cls(
            console.is_terminal, console.width, console.height, console.color_system,
            console.no_color, console.is_interactive, console.encoding,
        )  # fmt: skip


@dataclass(frozen=True)
class ClientIO:
    """A client's standard streams as it describes them."""

    stdout: Terminal
    stderr: Terminal
    stdin_isatty: bool
    stdin_encoding: str


class Channel:
    """The connection to one client: frames out from any thread, replies in on one."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._send_lock = threading.Lock()
        self.gone = False

    def send(self, frame: tuple[Any, ...]) -> None:
        """Send a frame; once the client is gone, frames are dropped."""
        if self.gone:
            return
        with self._send_lock:
            try:
                frames.send(self.sock, frame)
            except OSError:
                self.gone = True

    def ask(self, frame: tuple[Any, ...]) -> tuple[Any, ...]:
        """Send a frame and wait for the client's answer (only the command's thread asks)."""
        self.send(frame)
        if self.gone:
            raise EOFError("the client is gone")
        return frames.receive(self.sock)


class ClientStream(io.TextIOBase):
    """A client's stdout or stderr: text sent as frames of the given kind."""

    def __init__(self, channel: Channel, kind: str, terminal: Terminal) -> None:
        super().__init__()
        self._channel, self._kind, self._terminal = channel, kind, terminal

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The client terminal's encoding."""
        return self._terminal.encoding

    @property
    def errors(self) -> str:  # type: ignore[override]
        """Unencodable characters are replaced."""
        return "replace"

    def write(self, text: str) -> int:
        """Send ``text`` to the client."""
        if not isinstance(text, str):  # click probes for binary streams by writing b""
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            self._channel.send((self._kind, text.encode(self.encoding, "replace")))
        return len(text)

    def writable(self) -> bool:
        """A client stream is writable."""
        return True

    def isatty(self) -> bool:
        """Whether the client's stream is a terminal."""
        return self._terminal.is_terminal


class _ClientStdin(io.RawIOBase):
    """A client's stdin, read on demand: the client sends what it has when asked."""

    def __init__(self, channel: Channel, isatty: bool) -> None:
        super().__init__()
        self._channel, self._isatty = channel, isatty

    def readable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._isatty

    def readinto(self, buffer: Any) -> int:
        try:
            _kind, data = self._channel.ask(("stdin", len(buffer)))
        except (EOFError, OSError):
            return 0
        buffer[: len(data)] = data
        return len(data)


@dataclass
class Route:
    """Where one thread's output goes and its input comes from."""

    stdout: ClientStream
    stderr: ClientStream
    stdin: IO[str]
    terminals: dict[str, Terminal]
    consoles: dict[tuple[str, int], Console]

    def console(self, stream: str, like: Console) -> Console:
        """The client's console for ``stream``, with the options of ``like`` (markup, …)."""
        key = (stream, id(like))
        if key not in self.consoles:
            file = self.stdout if stream == "stdout" else self.stderr
            self.consoles[key] = _console(file, self.terminals[stream], like)
        return self.consoles[key]


def current() -> Route | None:
    """The route of this thread, or None when it works for no client."""
    return getattr(_local, "route", None)


@contextmanager
def routed(channel: Channel, client: ClientIO) -> Iterator[Route]:
    """Route this thread's standard streams and consoles to ``client``."""
    out = ClientStream(channel, "out", client.stdout)
    err = ClientStream(channel, "err", client.stderr)
    stdin = io.TextIOWrapper(
        io.BufferedReader(_ClientStdin(channel, client.stdin_isatty)),
        encoding=client.stdin_encoding,
        errors="replace",
    )
    terminals = {"stdout": client.stdout, "stderr": client.stderr}
    route = Route(out, err, stdin, terminals, {})
    _local.route = route
    try:
        yield route
    finally:
        _local.route = None


def _console(stream: ClientStream, terminal: Terminal, like: Console) -> Console:
    return Console(
        file=cast(IO[str], stream),
        width=terminal.width,
        height=terminal.height,
        force_terminal=terminal.is_terminal,
        color_system=terminal.color_system,  # type: ignore[arg-type]
        no_color=terminal.no_color,
        force_interactive=terminal.is_interactive,
        legacy_windows=False,
        markup=False,  # as the CLI's own consoles: names print verbatim (cli/common.py)
    )


class RoutedConsole:
    """A Rich console that prints to the client this thread works for, else to ``default``."""

    def __init__(self, default: Console, stream: str) -> None:
        self._default = default
        self._stream = stream

    def target(self) -> Console:
        """The console this thread prints on."""
        route = current()
        return route.console(self._stream, self._default) if route is not None else self._default

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target(), name)

    def __enter__(self) -> Console:
        return self.target().__enter__()

    def __exit__(self, *exc: Any) -> None:
        self.target().__exit__(*exc)

    def set_live(self, live: Any) -> bool:
        """Bind a starting Live display (a progress bar) to this thread's console."""
        target = self.target()
        if current() is not None:
            live.console = target  # its refresh thread draws for this client, not the server
            live._redirect_stdout = live._redirect_stderr = False  # never swap sys.stdout
        return target.set_live(live)


class _RoutedStream:
    """``sys.stdout`` / ``sys.stderr`` / ``sys.stdin`` of a server: per-thread routing."""

    def __init__(self, name: str, original: Any) -> None:
        self._name = name
        self._original = original

    def _target(self) -> Any:
        route = current()
        return getattr(route, self._name) if route is not None else self._original

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._target())

    def write(self, text: str) -> int:
        """Write to this thread's stream."""
        return int(self._target().write(text))

    def flush(self) -> None:
        """Flush this thread's stream."""
        self._target().flush()


def install() -> None:
    """Route the process's standard streams per thread (idempotent, counted)."""
    global _installed, _originals
    with _install_lock:
        if _installed == 0:
            _originals = (sys.stdout, sys.stderr, sys.stdin)
            sys.stdout = _RoutedStream("stdout", sys.stdout)  # type: ignore[assignment]
            sys.stderr = _RoutedStream("stderr", sys.stderr)  # type: ignore[assignment]
            sys.stdin = _RoutedStream("stdin", sys.stdin)  # type: ignore[assignment]
        _installed += 1


def uninstall() -> None:
    """Undo one ``install``; the last restores the process's own streams."""
    global _installed
    with _install_lock:
        _installed -= 1
        if _installed == 0 and _originals is not None:
            sys.stdout, sys.stderr, sys.stdin = _originals


def own_working_directory() -> bool:
    """Give this thread a working directory of its own (Linux); False where impossible."""
    if getattr(_local, "own_cwd", False):
        return True
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        ok = libc.unshare(_CLONE_FS) == 0
    except (OSError, AttributeError):
        ok = False
    _local.own_cwd = ok
    return ok


@contextmanager
def working_directory(cwd: str) -> Iterator[None]:
    """Run a block in ``cwd`` without moving any other thread (else one block at a time)."""
    if own_working_directory():
        os.chdir(cwd)
        yield
        return
    with _chdir_lock:
        before = os.getcwd()
        os.chdir(cwd)
        try:
            yield
        finally:
            os.chdir(before)
