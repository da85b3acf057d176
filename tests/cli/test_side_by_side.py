"""The CLI and the Python API beside a running ``headway serve`` on the same database.

A real server subprocess holds the file; CLI processes on the same file are forwarded to it
(docs/architecture.md, "The server and the CLI side by side"). The world, counted by hand:

- seed: 10 contacts ``s0``..``s9`` with one page visit each (ids ``seed-0``..``seed-9``).
- import file i (i = 0..3): 25,000 contacts ``f{i}-{k}``, each with a visit, a form, a purchase
  and a second visit (1 h apart, June 2025): 100,000 activities with distinct ids.

Journey "Signup": Visit → Form → Buy. Before any import: entered 10, reached [10, 0, 0]. After
all four: entered 100,010, reached [100,010, 100,000, 100,000], converted 100,000. Each file is
imported in one transaction, so any funnel in between sees 10 + 25,000·k entered, k = 0..4.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import headway
from headway.errors import NotFound, StoreError
from headway.local_socket.address import socket_path
from headway.local_socket.remote import RemoteHeadway
from headway.store import Store
from headway.store.journeys import save_journey
from tests.web.conftest import NEW_KEY, SIGNUP, LiveServer, config_text, seed, start_server

HEADWAY = Path(sys.executable).parent / "headway"
AS_OF = "2025-06-30"
PER_FILE = 25_000  # contacts; 4 activities each
START = datetime(2025, 6, 1, tzinfo=UTC)


def headway_cli(
    *args: str, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``headway ARGS`` in ``cwd`` and wait for it."""
    return subprocess.run(
        [str(HEADWAY), *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300
    )


def spawn(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """Start ``headway ARGS`` in ``cwd``."""
    return subprocess.Popen(
        [str(HEADWAY), *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def seeded_db(tmp_path: Path) -> Path:
    """The database before the server starts: the journey, an email, 10 visitors."""
    db = tmp_path / "side.duckdb"
    seed(db)
    (tmp_path / "signup.yaml").write_text(SIGNUP)
    visits = [
        {"id": f"seed-{k}", "contact": f"s{k}", "type": "page_visit",
         "ts": (START + timedelta(hours=k)).isoformat()}
        for k in range(10)
    ]  # fmt: skip
    with headway.open(db) as hw:
        save_journey(hw.store, hw.journey(tmp_path / "signup.yaml"), SIGNUP)
        hw.add_activities(visits)
    return db


def server_for(tmp_path: Path, db: Path) -> LiveServer:
    """``headway serve`` on ``db``."""
    config = tmp_path / "headway.toml"
    config.write_text(config_text(NEW_KEY))
    return start_server(db, config)


def write_import(directory: Path, i: int) -> Path:
    """File i: 25,000 contacts × (visit, form, purchase, visit); JSON Lines or Parquet."""
    rows: dict[str, list[object]] = {"id": [], "contact": [], "type": [], "ts": []}
    steps = ("page_visit", "form_submission", "purchase", "page_visit")
    for k in range(PER_FILE):
        first = START + timedelta(minutes=k % 20_000)
        for j, kind in enumerate(steps):
            rows["id"].append(f"f{i}-{k}-{j}")
            rows["contact"].append(f"f{i}-{k}")
            rows["type"].append(kind)
            rows["ts"].append(first + timedelta(hours=j))
    if i % 2:
        path = directory / f"import-{i}.parquet"
        pq.write_table(pa.table(rows), path)
        return path
    path = directory / f"import-{i}.jsonl"
    lines = (
        orjson.dumps({"id": a, "contact": c, "type": t, "ts": ts})  # ISO 8601, UTC offset
        for a, c, t, ts in zip(rows["id"], rows["contact"], rows["type"], rows["ts"], strict=True)
    )
    path.write_bytes(b"\n".join(lines))
    return path


def funnel_numbers(text: str) -> tuple[int, list[int], int]:
    """(entered, reached per stage, converted) of a ``funnel --json`` answer."""
    report = json.loads(text)
    return report["entered"], [s["reached"] for s in report["stages"]], report["converted"]


@pytest.mark.slow
def test_concurrent_imports_and_funnels_beside_the_server(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    files = [write_import(tmp_path, i) for i in range(4)]
    server = server_for(tmp_path, db)
    reads: list[tuple[int, int]] = []
    try:
        started = time.monotonic()
        imports = [spawn("--db", db.name, "import", f.name, cwd=tmp_path) for f in files]
        funnels = [
            spawn("--db", db.name, "funnel", "Signup", "--as-of", AS_OF, "--json", cwd=tmp_path)
            for _ in range(20)
        ]
        during = threading.Thread(target=read_while_loaded, args=(server.url, imports, reads))
        during.start()
        answers = [(p, *p.communicate(timeout=600)) for p in imports + funnels]
        during.join()
        elapsed = time.monotonic() - started
        for process, out, err in answers:
            assert process.returncode == 0, (process.args, out, err)
        for file, (_process, out, _err) in zip(files, answers[:4], strict=True):
            assert out.startswith(f"{file}: 100000 imported, 0 duplicates")  # absolute path
        seen = [funnel_numbers(out) for _p, out, _e in answers[4:]]
        assert {entered for entered, _r, _c in seen} <= {10 + PER_FILE * k for k in range(5)}
        last = headway_cli(
            "--db", db.name, "funnel", "Signup", "--as-of", AS_OF, "--json", cwd=tmp_path
        )
        assert last.returncode == 0, last.stderr
        assert funnel_numbers(last.stdout) == (100_010, [100_010, 100_000, 100_000], 100_000)
        again = headway_cli("--db", db.name, "import", files[1].name, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert ": 0 imported, 100000 duplicates, 0 rejected" in again.stdout
        health = httpx.get(server.url + "/health", timeout=30)
        assert health.status_code == 200
        page = httpx.get(server.url + "/api/v1/journeys/Signup/funnel", params={"as_of": AS_OF})
        assert page.json()["entered"] == 100_010
    finally:
        log = server.stop()
    assert reads and all(status == 200 for status, _ in reads), reads
    assert "Traceback" not in log, log
    with Store(db, read_only=True) as store:
        total, distinct = store.execute("SELECT count(*), count(DISTINCT id) FROM activities").rows[
            0
        ]
    assert (total, distinct) == (400_010 + 3, 400_010 + 3)  # + the seed's 3 emails sent
    print(f"\n4 imports x 100k + 20 funnels beside the server: {elapsed:.1f} s; "
          f"{len(reads)} API reads during the load")  # fmt: skip


def read_while_loaded(
    url: str, processes: list[subprocess.Popen[str]], out: list[tuple[int, int]]
) -> None:
    """While the imports run: /health and the journey's funnel through the API."""
    with httpx.Client(base_url=url, timeout=120) as http:
        while any(p.poll() is None for p in processes) or not out:
            health = http.get("/health")
            funnel = http.get("/api/v1/journeys/Signup/funnel", params={"as_of": AS_OF})
            out.append((health.status_code, funnel.status_code))
            time.sleep(0.2)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    """A server on the seeded database (10 visitors), shared by the tests below."""
    tmp_path = tmp_path_factory.mktemp("served")
    db = seeded_db(tmp_path)
    server = server_for(tmp_path, db)
    yield server, tmp_path
    log = server.stop()
    assert "Traceback" not in log, log
    assert "tty.jsonl" not in log  # a client's progress bar never draws on the server


def test_python_api_runs_in_the_server(served: tuple[LiveServer, Path]) -> None:
    server, directory = served
    hw = headway.open(directory / "side.duckdb")
    try:
        assert isinstance(hw, RemoteHeadway)
        assert hw.server["url"] == server.url
        assert [j.name for j in hw.journeys()] == ["Signup"]
        before = hw.funnel("Signup", as_of=AS_OF)
        assert before.entered == 10
        records = (
            {"id": f"api-{k}", "contact": "s0", "type": kind, "ts": f"2025-06-0{2 + k}T09:00:00Z"}
            for k, kind in enumerate(["form_submission", "purchase"])
        )  # a generator: sent as a list
        added = hw.add_activities(records)
        assert (added.accepted, added.duplicates) == (2, 0)
        assert hw.add_activities([{"id": "api-0", "contact": "s0", "type": "form_submission",
                                   "ts": "2025-06-02T09:00:00Z"}]).duplicates == 1  # fmt: skip
        after = hw.funnel(directory / "signup.yaml", as_of=AS_OF)  # a file, by absolute path
        assert [s.reached for s in after.stages] == [10, 1, 1]
        with pytest.raises(NotFound, match="no journey named 'Nope'"):
            hw.funnel("Nope", as_of=AS_OF)
        with pytest.raises(AttributeError, match="held by the Headway server"):
            _ = hw.store
    finally:
        hw.close()
    seen = httpx.get(server.url + "/api/v1/journeys/Signup/funnel", params={"as_of": AS_OF})
    assert [s["reached"] for s in seen.json()["stages"]] == [10, 1, 1]  # the server sees it
    cli = headway_cli("--db", "side.duckdb", "funnel", "signup.yaml", "--as-of", AS_OF,
                      "--json", cwd=directory)  # fmt: skip
    assert funnel_numbers(cli.stdout)[1] == [10, 1, 1]  # a relative path: the client's directory


def test_serve_is_refused_while_a_server_runs(served: tuple[LiveServer, Path]) -> None:
    server, directory = served
    done = headway_cli("--db", "side.duckdb", "serve", "--port", "0", cwd=directory)
    assert done.returncode == 2
    pid = server.process.pid
    assert done.stderr.startswith(
        f"error: a Headway server already serves side.duckdb (pid {pid}, {server.url}); "
    ), done.stderr


def test_demo_is_refused_while_a_server_runs(served: tuple[LiveServer, Path]) -> None:
    server, directory = served
    done = headway_cli("--db", "side.duckdb", "demo", "--contacts", "10", cwd=directory)
    assert done.returncode == 2
    assert done.stderr.startswith(
        "error: the demo builds a database of its own, and a Headway server serves side.duckdb "
        f"(pid {server.process.pid}); stop it first"
    ), done.stderr


def test_an_error_in_the_server_is_the_cli_error(served: tuple[LiveServer, Path]) -> None:
    _server, directory = served
    done = headway_cli("--db", "side.duckdb", "funnel", "Signupp", cwd=directory)
    assert done.returncode == 2
    assert done.stderr.startswith("error: no journey named 'Signupp'"), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    usage = headway_cli("--db", "side.duckdb", "funnel", "--no-such-option", cwd=directory)
    assert usage.returncode == 2 and "No such option" in usage.stderr


def test_stdin_goes_to_the_server(served: tuple[LiveServer, Path]) -> None:
    _server, directory = served
    html = '<p><a href="https://example.com/x">x</a></p>'
    done = headway_cli("--db", "side.duckdb", "email", "prepare", "--email", "welcome-1",
                       "--contact", "s1", "--config", "headway.toml", cwd=directory, stdin=html)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert 'href="https://t.example.com/' in done.stdout


def test_ctrl_c_on_the_client_leaves_the_server_running(served: tuple[LiveServer, Path]) -> None:
    server, directory = served
    client = subprocess.Popen(
        [str(HEADWAY), "--db", "side.duckdb", "email", "prepare", "--email", "welcome-1",
         "--contact", "s1", "--config", "headway.toml"],
        cwd=directory, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    wait_until_idle(client.pid)  # forwarded, the server asked for stdin, nobody types
    client.send_signal(signal.SIGINT)
    _out, err = client.communicate(timeout=30)
    assert client.returncode == 130
    assert f"interrupted; the Headway server (pid {server.process.pid})" in err
    assert server.process.poll() is None
    assert httpx.get(server.url + "/health", timeout=10).status_code == 200
    after = headway_cli("--db", "side.duckdb", "journey", "list", cwd=directory)
    assert after.returncode == 0 and "Signup" in after.stdout


def wait_until_idle(pid: int, timeout: float = 60) -> None:
    """Wait until process ``pid`` has started and then used no CPU for half a second."""
    deadline, last, still = time.monotonic() + timeout, -1, 0.0
    while time.monotonic() < deadline:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        still = still + 0.1 if ticks == last else 0.0
        if still >= 0.5 and ticks > 0:
            return
        last = ticks
        time.sleep(0.1)
    raise AssertionError(f"process {pid} never went idle")


@pytest.mark.slow
def test_a_killed_servers_socket_is_stale(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    server = server_for(tmp_path, db)
    server.process.kill()  # no chance to remove its socket
    server.stop()
    stale = socket_path(db)
    assert stale.exists()
    done = headway_cli("--db", db.name, "journey", "list", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Signup" in done.stdout
    assert not stale.exists()  # removed by the CLI, which held the file


def test_a_progress_bar_draws_on_the_clients_terminal(served: tuple[LiveServer, Path]) -> None:
    server, directory = served
    rows = [{"id": f"tty-{k}", "contact": f"t{k}", "type": "page_visit",
             "ts": "2025-06-03T09:00:00Z"} for k in range(2000)]  # fmt: skip
    (directory / "tty.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows))
    master, slave = pty.openpty()
    drawn = bytearray()
    reader = threading.Thread(target=drain, args=(master, drawn))
    reader.start()
    try:
        done = subprocess.run(
            [str(HEADWAY), "--db", "side.duckdb", "import", "tty.jsonl"], cwd=directory,
            stdout=subprocess.PIPE, stderr=slave, text=True, timeout=300,
        )  # fmt: skip
    finally:
        os.close(slave)
        reader.join(timeout=30)
        os.close(master)
    assert done.returncode == 0
    assert done.stdout.startswith(f"{directory / 'tty.jsonl'}: 2000 imported, 0 duplicates")
    assert b"tty.jsonl" in drawn and b"\x1b[" in drawn  # drawn with terminal codes, here
    assert server.process.poll() is None


def drain(fd: int, into: bytearray) -> None:
    """Read a pty's output until it closes."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        into += chunk


@pytest.mark.slow
def test_an_open_notebook_does_not_hold_up_stopping_the_server(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    server = server_for(tmp_path, db)
    hw = headway.open(db)
    try:
        assert [j.name for j in hw.journeys()] == ["Signup"]
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 15
        assert server.process.returncode == 0  # SIGTERM unwinds: socket removed, store closed
        with pytest.raises(StoreError, match=r"holding .* stopped during funnel; call headway"):
            hw.funnel("Signup", as_of=AS_OF)
        with pytest.raises(StoreError, match=r"no Headway server holds .* any more"):
            hw.journeys()
    finally:
        hw.close()
    assert not socket_path(db).exists()  # removed on the way out
    with headway.open(db) as local:  # no server: the file itself
        assert not isinstance(local, RemoteHeadway)
        assert local.funnel("Signup", as_of=AS_OF).entered == 10
