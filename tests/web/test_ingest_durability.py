"""Power cuts during HTTP ingest: every acknowledged activity survives exactly once.

A real ``headway serve`` subprocess takes batches from 8 client threads; the test kills it
with SIGKILL while batches are in flight, 10 times over, starting it again on the same file
each time (DuckDB replays its write-ahead log), and finally checks what the file holds:

- every activity of every batch that got a 200 is stored, each id exactly once;
- a batch without an answer is stored wholly or not at all (one batch is one transaction),
  and re-sending it is safe: its ids come back as duplicates when it had been committed.

**Why a plain kill -9 is not enough, and what this test does instead.** A SIGKILL ends the
process but not the kernel: whatever the server wrote and did not ``fsync`` is still in the
page cache and reaches the disk later, so a server that acknowledges before its commit is
synced (or never syncs) passes a kill -9 test. A power cut is what loses unsynced bytes. So
the server runs with ``sync_ledger.c`` preloaded (``LD_PRELOAD``, built here with the
machine's C compiler): every successful ``fsync``/``fdatasync`` (and ``ftruncate``) appends
the file's inode and size at that moment to a ledger. After each SIGKILL the test plays the
power cut: it truncates the write-ahead log (``<db>.wal``, where every commit is written
first) back to the length its last sync made durable, dropping every byte the server did not
sync. An acknowledged batch survives only if its commit was synced before the 200 went out.
``test_a_server_that_does_not_sync_loses_acknowledged_batches`` runs the same harness on a
server whose syncs do nothing (``SYNC_LEDGER_DROP=1``, a build that forgot to sync) and checks
that acknowledged batches are then lost: the harness can see a missing fsync.

(Only the write-ahead log is cut: a commit is durable once its log bytes are synced, and a
checkpoint syncs the database file before it removes the log. Batches here are far smaller
than a DuckDB row group, so no commit writes table data straight into the database file.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import pytest

from headway.store import Store
from tests.web.conftest import NEW_KEY, LiveServer, config_text, start_server

URL = "/api/v1/activities"
BATCH = 200
CLIENTS = 8
ROUNDS = 10
ACKS_PER_ROUND = CLIENTS  # batches acknowledged in a round before the kill
LEDGER_SOURCE = Path(__file__).with_name("sync_ledger.c")


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

    def __init__(self, url: str, tag: str, threads: int = CLIENTS) -> None:
        self.url = url
        self.tag = tag
        self.acked: list[list[str]] = []
        self.unanswered: list[list[str]] = []
        self.refused: list[str] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.post, args=(t,)) for t in range(threads)]
        for t in self.threads:
            t.start()

    def post(self, thread: int) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as http:
            for n in range(100_000):
                ids = [f"{self.tag}-t{thread}-b{n}-{i}" for i in range(BATCH)]
                try:
                    r = http.post(
                        URL, content=body(ids), headers={"Content-Type": "application/json"}
                    )
                except httpx.TransportError:
                    with self.lock:
                        self.unanswered.append(ids)
                    return
                with self.lock:
                    if r.status_code == 200:
                        self.acked.append(ids)
                    else:
                        self.refused.append(f"{r.status_code}: {r.text}")
                        return

    def count(self) -> int:
        with self.lock:
            return len(self.acked)

    def join(self) -> None:
        for t in self.threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in self.threads)
        assert not self.refused, self.refused[:3]


@dataclass
class PowerCuts:
    """A database that the test serves, kills and power-cuts round after round."""

    root: Path
    library: Path
    drop_syncs: bool = False
    acked: list[list[str]] = field(default_factory=list)
    unanswered: list[list[str]] = field(default_factory=list)
    dropped_bytes: list[int] = field(default_factory=list)
    wal_syncs: list[int] = field(default_factory=list)

    @property
    def db(self) -> Path:
        return self.root / "h.duckdb"

    def start(self, life: int) -> tuple[LiveServer, Path]:
        """Start the server with the ledger preloaded; the server and its ledger file."""
        config = self.root / "headway.toml"
        config.write_text(config_text(NEW_KEY))
        ledger = self.root / f"ledger-{life}.txt"
        env = {"LD_PRELOAD": str(self.library), "SYNC_LEDGER": str(ledger)}
        if self.drop_syncs:
            env["SYNC_LEDGER_DROP"] = "1"
        return start_server(self.db, config, env), ledger

    def round(self, life: int) -> None:
        """Serve, ingest from 8 clients, SIGKILL mid-stream, cut the power."""
        server, ledger = self.start(life)
        clients = Clients(server.url, f"r{life}")
        deadline = time.monotonic() + 60
        while clients.count() < ACKS_PER_ROUND and time.monotonic() < deadline:
            time.sleep(0.01)
        server.process.kill()  # SIGKILL, mid-stream
        server.stop()  # reaps the process and closes its pipe
        clients.join()
        assert clients.count() >= ACKS_PER_ROUND and clients.unanswered  # killed mid-flight
        self.acked += clients.acked
        self.unanswered += clients.unanswered
        self.dropped_bytes.append(power_cut(self.db, ledger))
        self.wal_syncs.append(wal_syncs(self.db, ledger))


def wal_of(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


def ledger_lines(ledger: Path) -> Iterator[tuple[int, int, str]]:
    """(inode, size, path) of every sync the ledger recorded, oldest first."""
    if not ledger.exists():
        return
    for line in ledger.read_text().splitlines():
        inode, size, path = line.split(" ", 2)
        yield int(inode), int(size), path


def wal_syncs(db: Path, ledger: Path) -> int:
    """How many syncs of the write-ahead log the ledger recorded."""
    return sum(1 for _, _, path in ledger_lines(ledger) if path == str(wal_of(db)))


def power_cut(db: Path, ledger: Path) -> int:
    """Cut the write-ahead log back to its last synced length; the bytes dropped."""
    wal = wal_of(db)
    if not wal.exists():
        return 0
    stat = wal.stat()
    synced = 0  # a log never synced since it was created is lost whole
    for inode, size, path in ledger_lines(ledger):
        if inode == stat.st_ino and path == str(wal):
            synced = size
    if synced >= stat.st_size:
        return 0
    os.truncate(wal, synced)
    return stat.st_size - synced


def resend(server: LiveServer, batches: list[list[str]]) -> list[int]:
    """Post the unanswered batches again; their duplicate counts."""
    counts = []
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for ids in batches:
            r = http.post(URL, content=body(ids), headers={"Content-Type": "application/json"})
            assert r.status_code == 200, r.text
            answer = r.json()
            assert answer["accepted"] + answer["duplicates"] == BATCH
            counts.append(answer["duplicates"])
    return counts


def stored_ids(db: Path) -> list[str]:
    with Store(db, read_only=True) as store:
        return [r[0] for r in store.execute("SELECT id FROM activities").rows]


@pytest.fixture(scope="module")
def sync_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``sync_ledger.c`` built as a shared library."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    assert compiler, "the durability test builds its LD_PRELOAD library with a C compiler"
    library = tmp_path_factory.mktemp("ledger") / "sync_ledger.so"
    cmd = [compiler, "-shared", "-fPIC", "-O2", "-o", str(library), str(LEDGER_SOURCE), "-ldl"]
    subprocess.run(cmd, check=True)
    return library


def test_acknowledged_batches_survive_power_cuts_exactly_once(
    tmp_path: Path, sync_ledger: Path
) -> None:
    cuts = PowerCuts(tmp_path, sync_ledger)
    for life in range(ROUNDS):
        cuts.round(life)

    final = cuts.start(ROUNDS)[0]  # replays the write-ahead log
    resent = resend(final, cuts.unanswered)
    final.stop()

    ids = stored_ids(cuts.db)
    assert len(ids) == len(set(ids))  # 0 doubled
    stored = set(ids)
    lost = [i for batch in cuts.acked for i in batch if i not in stored]
    assert not lost, f"{len(lost)} of {len(cuts.acked) * BATCH} acknowledged activities lost"
    for duplicates in resent:
        # Committed before the kill (all duplicates now) or not at all (all accepted now).
        assert duplicates in (0, BATCH)
    assert len(stored) == BATCH * (len(cuts.acked) + len(cuts.unanswered))
    assert all(n > 0 for n in cuts.wal_syncs)  # the ledger saw every server sync its log
    print(
        f"\n{ROUNDS} power cuts: {len(cuts.acked)} batches ({len(cuts.acked) * BATCH} "
        f"activities) acknowledged, none lost or doubled; {len(cuts.unanswered)} unanswered "
        f"batches resent ({sum(1 for d in resent if d == BATCH)} had been committed); "
        f"unsynced log bytes dropped per cut: {cuts.dropped_bytes}"
    )


def test_a_server_that_does_not_sync_loses_acknowledged_batches(
    tmp_path: Path, sync_ledger: Path
) -> None:
    """The harness's own check: with syncs turned into no-ops, a power cut loses acked data."""
    cuts = PowerCuts(tmp_path, sync_ledger, drop_syncs=True)
    cuts.round(0)
    assert cuts.dropped_bytes[0] > 0 and cuts.wal_syncs == [0]

    final = cuts.start(1)[0]
    final.stop()
    stored = set(stored_ids(cuts.db))
    lost = [i for batch in cuts.acked for i in batch if i not in stored]
    print(f"\nsyncs turned off: {len(lost)} of {len(cuts.acked) * BATCH} acknowledged lost")
    assert len(lost) >= ACKS_PER_ROUND * BATCH  # every acknowledged batch of the round
