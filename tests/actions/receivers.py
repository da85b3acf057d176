"""Real local receivers for the action tests: an HTTP server that records (or refuses) posts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One request the receiver got: lower-case headers and the raw body."""

    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What a running receiver got; set ``status`` to answer something else than 204."""

    url: str
    got: list[Received] = field(default_factory=list)
    refused: int = 0
    status: int = 204
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Received]:
        """The requests answered 2xx."""
        with self.lock:
            return list(self.got)


@contextmanager
def receiver() -> Iterator[Receiver]:
    """A threaded HTTP server on a free local port, stopped on exit."""
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            r = box[0]
            with r.lock:
                status = r.status
                if 200 <= status < 300:
                    r.got.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                else:
                    r.refused += 1
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
