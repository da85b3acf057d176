"""The server's local socket: how the CLI and the Python API reach a running ``headway serve``.

DuckDB lets one process hold a database file read-write, so while ``headway serve`` runs it
is the one owner of the file. It listens on a private Unix domain socket named after the
database's resolved path (``address``); a CLI command on the same file is forwarded whole to
the server, which runs it in-process against its open store and streams its output back
(``forward`` on the client, ``listener`` on the server, ``routing`` for per-thread output,
input and working directory); ``headway.open`` returns a ``RemoteHeadway`` whose calls run in
the server (``remote``). Frames are pickled (``frames``): the socket is the user's own
(mode 0600 in a 0700 directory, the peer's user id checked on both ends), and that user can
already run any code as themselves. See docs/architecture.md.
"""
