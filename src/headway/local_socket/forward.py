"""The client's side of the local socket: find the server of a database and talk to it."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headway import __version__
from headway.local_socket import frames
from headway.local_socket.address import resolved, socket_path
from headway.local_socket.routing import ClientIO

HELLO_TIMEOUT = 10.0


class OutputClosed(Exception):
    """Our own standard output was closed by its reader (``headway … | head``)."""


@dataclass
class ServerLink:
    """An open connection to the server of a database, after the greeting."""

    sock: socket.socket
    info: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        """Close the connection."""
        self.sock.close()

    def __enter__(self) -> ServerLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def find_server(db: str | Path) -> ServerLink | None:
    """A connection to the live server holding ``db``; None when none runs (or it died)."""
    path = socket_path(db)
    if not path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(HELLO_TIMEOUT)
    try:
        sock.connect(str(path))
        frames.check_peer(sock)
        frames.send(sock, ("hello", {"db": str(resolved(db)), "version": __version__}))
        kind, info = frames.receive(sock)
    except (OSError, EOFError, ValueError, frames.PeerRefused):
        sock.close()  # nobody listens (a killed server's socket) or a stranger answers
        return None
    if kind != "hello" or resolved(info.get("db", "")) != resolved(db):
        sock.close()
        return None
    sock.settimeout(None)
    return ServerLink(sock, info)


def remove_if_stale(db: str | Path) -> None:
    """Remove the socket of ``db`` when nobody listens on it (call while holding ``db``)."""
    with contextlib.suppress(Exception):
        path = socket_path(db)
        if not path.exists():
            return
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with probe:
            try:
                probe.connect(str(path))
            except OSError:
                path.unlink(missing_ok=True)


def forward_cli(link: ServerLink, argv: list[str], client: ClientIO) -> int:
    """Run ``argv`` in the server; its output on ours, our stdin to it; its exit status."""
    frames.send(link.sock, ("cli", argv, os.getcwd(), client))
    out, err = _binary(sys.stdout), _binary(sys.stderr)
    while True:
        frame = frames.receive(link.sock)
        kind = frame[0]
        if kind in ("out", "err"):
            _write(out if kind == "out" else err, frame[1])
        elif kind == "stdin":
            frames.send(link.sock, ("stdin", _read_stdin(frame[1])))
        elif kind == "exit":
            return int(frame[1])


def _write(stream: Any, data: bytes) -> None:
    try:
        stream.write(data)
        stream.flush()
    except BrokenPipeError:
        raise OutputClosed from None


def _binary(stream: Any) -> Any:
    stream.flush()
    buffer = getattr(stream, "buffer", None)
    return buffer if buffer is not None else _TextAsBinary(stream)


class _TextAsBinary:
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, data: bytes) -> None:
        self._stream.write(data.decode(getattr(self._stream, "encoding", None) or "utf-8"))

    def flush(self) -> None:
        self._stream.flush()


def _read_stdin(size: int) -> bytes:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None and hasattr(buffer, "read1"):
        return bytes(buffer.read1(size))
    text = sys.stdin.read(size)
    return text.encode(getattr(sys.stdin, "encoding", None) or "utf-8")
