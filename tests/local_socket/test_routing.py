"""Per-thread routing: a thread working for a client writes to it; others keep their streams."""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path

from rich.console import Console

from headway.local_socket import frames, routing
from headway.local_socket.routing import Channel, ClientIO, RoutedConsole, Terminal

PLAIN = Terminal(False, 80, 25, None, False, False, "utf-8")


def received(sock: socket.socket) -> list[tuple[object, ...]]:
    """Every frame until the other end closes."""
    out = []
    while True:
        try:
            out.append(frames.receive(sock))
        except EOFError:
            return out


def test_a_routed_thread_writes_to_its_client_only(tmp_path: Path) -> None:
    default = Console(file=open(os.devnull, "w"), width=80, markup=False)  # noqa: SIM115
    console = RoutedConsole(default, "stdout")
    server_end, client_end = socket.socketpair()
    routing.install()
    try:

        def command() -> None:
            with routing.routed(Channel(server_end), ClientIO(PLAIN, PLAIN, False, "utf-8")):
                console.print("to the [b]client[/b]", highlight=False)  # markup off, as its default
                print("print too")
                sys.stderr.write("and stderr\n")
            server_end.close()

        worker = threading.Thread(target=command)
        worker.start()
        worker.join()
        assert console.target() is default  # this thread works for no client
    finally:
        routing.uninstall()
        default.file.close()
    assert received(client_end) == [
        ("out", b"to the [b]client[/b]\n"), ("out", b"print too"), ("out", b"\n"),
        ("err", b"and stderr\n"),
    ]  # fmt: skip
    client_end.close()


def test_install_is_undone() -> None:
    before = (sys.stdout, sys.stderr, sys.stdin)
    routing.install()
    routing.install()
    routing.uninstall()
    assert sys.stdout is not before[0]
    routing.uninstall()
    assert (sys.stdout, sys.stderr, sys.stdin) == before


def test_a_thread_gets_its_own_directory(tmp_path: Path) -> None:
    seen: list[str] = []

    def command() -> None:
        with routing.working_directory(str(tmp_path)):
            seen.append(os.getcwd())

    here = os.getcwd()
    worker = threading.Thread(target=command)
    worker.start()
    worker.join()
    assert seen == [str(tmp_path)] and os.getcwd() == here
