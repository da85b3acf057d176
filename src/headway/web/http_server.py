"""The HTTP server's own limits: a request-header timeout and a connection cap (slowloris).

uvicorn closes idle kept-alive connections, but it waits forever for a request's headers
and accepts connections until the process runs out of file descriptors, so a few hundred
clients sending one header byte at a time would stop it answering anyone. ``GuardedH11``
(uvicorn's h11 protocol plus two rules) bounds both:

- **header timeout**: a connection must deliver a request's complete headers within
  ``http.header_timeout`` seconds of opening (or of the first byte of its next request);
  otherwise it is closed;
- **connection cap**: at ``http.max_connections`` open connections, a new one closes the
  connection that has waited longest for its headers (else an idle kept-alive one); when
  every connection is busy with a request, the new one is closed instead.

A normal request delivers its headers in milliseconds, so slow clients are the ones dropped.
A reverse proxy in front (docs/deploy.md) is still the first line: it buffers headers and
caps connections per client before they reach this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from headway.web.http_settings import HttpSettings


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with a request-header timeout and a connection cap."""

    header_timeout: float = 10.0
    max_connections: int = 1000

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start waiting for headers; make room when the server is at its cap."""
        self._waiting_since: float | None = None
        self._header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._start_waiting()
        if len(self.connections) > self.max_connections:
            self._make_room()

    def data_received(self, data: bytes) -> None:
        """Feed h11; a request's first byte starts its header clock, its headers stop it."""
        before = self.cycle
        if self._header_timer is None and (before is None or before.response_complete):
            self._start_waiting()
        super().data_received(data)
        if self.cycle is not before:  # h11 produced a Request: the headers are complete
            self._stop_waiting()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the header clock with the connection."""
        self._stop_waiting()
        super().connection_lost(exc)

    def _start_waiting(self) -> None:
        self._waiting_since = time.monotonic()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_waiting(self) -> None:
        self._waiting_since = None
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        self._drop()

    def _drop(self) -> None:
        self._stop_waiting()
        if not self.transport.is_closing():
            with contextlib.suppress(h11.LocalProtocolError):
                self.conn.send(h11.ConnectionClosed())
            self.transport.close()

    def _make_room(self) -> None:
        others = [c for c in self.connections if isinstance(c, GuardedH11) and c is not self]
        waiting = [c for c in others if c._waiting_since is not None]
        idle = [c for c in others if c.cycle is not None and c.cycle.response_complete]
        if waiting:
            min(waiting, key=lambda c: c._waiting_since or 0.0)._drop()
        elif idle:
            idle[0]._drop()  # a kept-alive connection between requests: cheap to reopen
        else:
            self._drop()  # every other connection is busy with a request


def server_options(http: HttpSettings) -> dict[str, Any]:
    """uvicorn.run keyword arguments for ``http``: the guarded protocol and its limits."""
    protocol = type(
        "GuardedH11",
        (GuardedH11,),
        {"header_timeout": http.header_timeout, "max_connections": http.max_connections},
    )
    return {
        "http": protocol,
        "timeout_keep_alive": http.keep_alive_timeout,
        "h11_max_incomplete_event_size": http.max_header_bytes,
        "proxy_headers": False,  # forwarded headers: only http.trusted_proxies (web/app.py)
    }
