"""Frames on the local socket: a length, then a pickled tuple ``(kind, payload…)``.

Pickle runs code of the sender's choosing, so both ends first check that the peer runs as the
same user (``SO_PEERCRED``); the socket's directory is private to that user anyway.
"""

from __future__ import annotations

import os
import pickle
import socket
import struct
from typing import Any

from headway.errors import HeadwayError

_LENGTH = struct.Struct("!Q")
_CREDENTIALS = struct.Struct("3i")  # pid, uid, gid


class PeerRefused(HeadwayError):
    """The other end of the socket runs as another user."""


def send(sock: socket.socket, frame: tuple[Any, ...]) -> None:
    """Send one frame."""
    send_encoded(sock, pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL))


def send_encoded(sock: socket.socket, data: bytes) -> None:
    """Send one frame already pickled."""
    header = _LENGTH.pack(len(data))
    if len(data) < 65536:
        sock.sendall(header + data)  # one packet for the small frames of output
        return
    sock.sendall(header)
    sock.sendall(data)


def receive(sock: socket.socket) -> tuple[Any, ...]:
    """Receive one frame; ``EOFError`` when the peer closed the connection."""
    (length,) = _LENGTH.unpack(_exactly(sock, _LENGTH.size))
    frame = pickle.loads(_exactly(sock, length))
    if not isinstance(frame, tuple) or not frame:
        raise EOFError("not a frame")
    return frame


def check_peer(sock: socket.socket) -> int:
    """The peer's process id, after checking it runs as this user (0 where unknowable)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return 0  # not Linux: the private directory is the guard
    raw = sock.getsockopt(socket.SOL_SOCKET, option, _CREDENTIALS.size)
    pid, uid, _gid = _CREDENTIALS.unpack(raw)
    if uid != os.getuid():
        raise PeerRefused(f"the process at the other end of the socket runs as user {uid}")
    return int(pid)


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise EOFError("the connection was closed")
        chunks += chunk
    return bytes(chunks)
