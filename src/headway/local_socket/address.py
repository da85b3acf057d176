"""Where the server of a database listens: a private socket named after the database's path."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

from headway.errors import ConfigError

# AF_UNIX socket paths are limited to 108 bytes on Linux (104 on macOS).
MAX_SOCKET_PATH = 100


def resolved(db: str | Path) -> Path:
    """A database file's absolute path, symlinks resolved: what names its server."""
    return Path(db).expanduser().resolve()


def socket_dir() -> Path:
    """The user's private directory of server sockets (``$XDG_RUNTIME_DIR/headway``)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "headway"
    return Path(tempfile.gettempdir()) / f"headway-{os.getuid()}"


def socket_path(db: str | Path, *, create: bool = False) -> Path:
    """The socket of the server holding ``db``; ``create`` makes its directory (mode 0700).

    Raises ``ConfigError`` when the directory is not the user's own and private, or the path
    would be too long for a Unix socket.
    """
    directory = socket_dir()
    if create:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_private(directory)
    digest = hashlib.sha256(str(resolved(db)).encode()).hexdigest()[:32]
    path = directory / f"{digest}.sock"
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise ConfigError(
            f"the socket path {path} is too long for a Unix socket; set XDG_RUNTIME_DIR or "
            "TMPDIR to a shorter directory"
        )
    return path


def check_private(directory: Path) -> None:
    """Refuse a socket directory that another user could reach (or that is missing)."""
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return  # no directory: no server has run yet
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise ConfigError(f"{directory} is not a directory of your own; remove it")
    if info.st_mode & 0o077:
        raise ConfigError(f"{directory} is open to other users; run 'chmod 700 {directory}'")
