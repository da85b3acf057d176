"""SIGKILL while clients post batches: every acknowledged batch survives exactly once.

A real ``headway serve`` subprocess takes batches from several client threads; the test kills
it (SIGKILL: no shutdown, no checkpoint) while batches are in flight, starts it again on the
same file (DuckDB replays its write-ahead log) and checks what the file holds:

- every batch that got a 200 is stored, each id exactly once;
- a batch without an answer is stored wholly or not at all (one batch is one transaction:
  DuckDB's WAL holds whole commits), and re-sending it is safe: its ids come back as
  duplicates when it had been committed.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest

from headway.store import Store
from tests.web.conftest import NEW_KEY, LiveServer, config_text, start_server

URL = "/api/v1/activities"
BATCH = 500


def batch_ids(thread: int, n: int) -> list[str]:
    return [f"t{thread}-b{n}-{i}" for i in range(BATCH)]


def body(ids: list[str]) -> bytes:
    return orjson.dumps(
        [
            {"id": i, "contact": f"c{k % 97}", "type": "page_visit",
             "ts": "2025-06-01T12:00:00Z", "url": f"/p/{k % 13}"}
            for k, i in enumerate(ids)
        ]
    )  # fmt: skip


class Clients:
    """Threads posting batches until the server goes away; who got which answer."""

    def __init__(self, url: str, threads: int) -> None:
        self.url = url
        self.acked: list[list[str]] = []
        self.unanswered: list[list[str]] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.post, args=(t,)) for t in range(threads)]

    def post(self, thread: int) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            for n in range(10_000):
                ids = batch_ids(thread, n)
                try:
                    r = http.post(
                        URL, content=body(ids), headers={"Content-Type": "application/json"}
                    )
                except httpx.TransportError:
                    with self.lock:
                        self.unanswered.append(ids)
                    return
                assert r.status_code == 200, r.text
                with self.lock:
                    self.acked.append(ids)

    def count(self) -> int:
        with self.lock:
            return len(self.acked)


def stored_ids(db: Path) -> list[str]:
    with Store(db, read_only=True) as store:
        return [r[0] for r in store.execute("SELECT id FROM activities").rows]


@pytest.mark.slow
def test_acknowledged_batches_survive_sigkill_exactly_once(tmp_path: Path) -> None:
    db, config = tmp_path / "h.duckdb", tmp_path / "headway.toml"
    config.write_text(config_text(NEW_KEY))
    server = start_server(db, config)
    clients = Clients(server.url, threads=4)
    for t in clients.threads:
        t.start()
    deadline = time.monotonic() + 120
    while clients.count() < 12 and time.monotonic() < deadline:
        time.sleep(0.02)
    server.process.kill()  # SIGKILL, mid-stream
    server.stop()  # reaps the process and closes its pipe
    for t in clients.threads:
        t.join()
    assert clients.count() >= 12 and clients.unanswered  # killed while batches were in flight

    restarted = start_server(db, config)  # replays the write-ahead log
    resent = resend(restarted, clients.unanswered)
    restarted.stop()

    ids = stored_ids(db)
    assert len(ids) == len(set(ids))  # no id twice
    stored = set(ids)
    for batch in clients.acked:
        assert stored.issuperset(batch)
    for duplicates in resent:
        # Committed before the kill (all duplicates now) or not at all (all accepted now).
        assert duplicates in (0, BATCH)
    assert len(stored) == BATCH * (len(clients.acked) + len(clients.unanswered))


def resend(server: LiveServer, batches: list[list[str]]) -> list[int]:
    """Post the unanswered batches again; their duplicate counts."""
    counts = []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for ids in batches:
            r = http.post(URL, content=body(ids), headers={"Content-Type": "application/json"})
            assert r.status_code == 200, r.text
            answer = r.json()
            assert answer["accepted"] + answer["duplicates"] == BATCH
            counts.append(answer["duplicates"])
    return counts
