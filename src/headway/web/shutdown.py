"""Run uvicorn so the server is gone within ``SHUTDOWN_SECONDS`` of SIGTERM, even mid-request.

uvicorn's graceful shutdown waits for every request in flight, with no limit by default:
a slow upload or a long report kept a stopped server alive for as long as it lasted. Here:

- requests in flight get ``GRACE_SECONDS`` to finish; then uvicorn cancels them (their
  clients see the connection close) and the app shuts down as usual (store closed, the
  side-by-side socket removed);
- work that cannot be cancelled (a worker thread busy in CPU work or in a DuckDB query)
  cannot hold the process either: a watchdog started by the signal ends the process at
  ``SHUTDOWN_SECONDS`` if it is still there. Every write Headway acknowledges is committed
  first, so ending there loses nothing acknowledged (the kill -9 durability test).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

import uvicorn

GRACE_SECONDS = 3  # requests in flight may finish within this
SHUTDOWN_SECONDS = 4.5  # the process ends by then, whatever is still running


class _Server(uvicorn.Server):
    """uvicorn's server; its exit signal also arms the watchdog."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Shut down as uvicorn does, and make sure the process ends in time."""
        if sig == signal.SIGTERM:
            arm_watchdog(SHUTDOWN_SECONDS)
        super().handle_exit(sig, frame)


_armed = threading.Event()
_WATCHDOG = "headway-shutdown-watchdog"


def arm_watchdog(seconds: float) -> None:
    """End the process ``seconds`` from now unless it has exited by itself (once)."""
    if _armed.is_set():
        return
    _armed.set()
    deadline = time.monotonic() + seconds

    def watch() -> None:
        time.sleep(max(0.0, deadline - time.monotonic()))
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(0)

    threading.Thread(target=watch, name=_WATCHDOG, daemon=True).start()


def exit_past_busy_threads() -> None:
    """End the process now if a daemon thread of Headway's is still at work.

    Called once everything is closed (the store, the side-by-side socket) on a clean stop.
    The engine's preload (``headway-preload``: pandas' import, numba's compiler on a cold
    cache, a DuckDB connection) cannot be interrupted, and a daemon thread that the
    interpreter's exit stops inside a DuckDB call aborts the process (SIGABRT, "FATAL:
    exception not rethrown": the forced unwind meets DuckDB's C++ handlers) instead of
    exiting 0 — seen when a server was stopped within seconds of its start.
    """
    busy = [
        t
        for t in threading.enumerate()
        if t.daemon and t.is_alive() and t.name.startswith("headway-") and t.name != _WATCHDOG
    ]
    if not busy:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(0)


def run_server(app: Any, **options: Any) -> None:
    """``uvicorn.run(app, **options)`` with the bounded shutdown described above."""
    options.setdefault("timeout_graceful_shutdown", GRACE_SECONDS)
    server = _Server(uvicorn.Config(app, **options))
    server.run()
    if not server.started:
        sys.exit(3)  # as uvicorn.run: the server could not start (e.g. the port is taken)
