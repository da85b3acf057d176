"""Erasure that holds: the bytes leave the database file and its WAL, and nothing brings the
contact back (a replayed ESP webhook, an old tracking token); the address stays suppressed as
a salted hash only.

The byte scans carry a control: a kept contact's distinctive address must still be found in
the same files, so a scan that finds nothing because DuckDB compressed the strings would fail
instead of passing by accident.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from headway.api import Headway
from headway.backends.duckdb import DuckDBBackend
from headway.engine.email.suppression import suppressions
from headway.ingest.tokens import Signer, SigningKey
from headway.ingest.webhooks.settings import MailgunSettings, SendGridSettings
from headway.settings import Settings, TrackingKey
from headway.store import Store
from headway.store.emails import add_link, register_email
from headway.store.erase import erase_contact
from headway.store.erased import is_erased
from headway.web.app import create_app
from tests.web.webhook_support import (
    MAILGUN_KEY,
    SENDGRID_PUBLIC,
    AppClient,
    client_for,
    mailgun_body,
    sendgrid_headers,
)

SHORT = "zq7@x.io"
LONG = "erasure.probe.0123456789.abcdefghijklmnop@a-rather-long-erasure-domain.example"
KEPT = "kept.contact.9876543210.zyxwvutsrqponmlk@a-rather-long-erasure-domain.example"
PROBE_ID = "contact-id-probe-4f1c9b27e3a8"


def file_bytes(db: Path) -> bytes:
    """The database file and its write-ahead log, as they are on disk now."""
    return b"".join(p.read_bytes() for p in (db, Path(f"{db}.wal")) if p.exists())


def activities(contact: str, address: str, n: int, start: int) -> list[dict[str, Any]]:
    """``n`` activities of ``contact`` that carry ``address`` in their properties."""
    return [
        {
            "id": f"{contact}-{start + i}",
            "contact": contact,
            "type": "email_open" if i % 2 else "page_visit",
            "ts": f"2025-03-{1 + i % 28:02d}T10:00:00Z",
            "properties": {"recipient": address, "url": f"/page/{i % 3}"},
        }
        for i in range(n)
    ]


def set_email(store: Store, contact: str, address: str) -> None:
    store.write(
        lambda c: c.execute("UPDATE contacts SET email = ? WHERE id = ?", [address, contact])
    )


@pytest.mark.parametrize("address", [SHORT, LONG], ids=["short", "long"])
def test_no_byte_of_the_email_or_id_is_left_in_the_file_or_wal(db_path: Path, address: str) -> None:
    with Store(db_path) as store:  # some rows in the file (closing checkpoints) ...
        hw = Headway(store)
        hw.add_activities(activities(KEPT, KEPT, 6, 0))
        hw.add_activities(activities(PROBE_ID, address, 6, 0))
        set_email(store, PROBE_ID, address)
    with Store(db_path) as store:
        Headway(store).add_activities(activities(PROBE_ID, address, 4, 100))  # ... some in the WAL
        assert Path(f"{db_path}.wal").exists()
        before = file_bytes(db_path)
        assert address.encode() in before and PROBE_ID.encode() in before

        report = erase_contact(store, PROBE_ID)

        assert report.activities_deleted == 10
        after = file_bytes(db_path)  # the store is still open: no close, no later checkpoint
        assert KEPT.encode() in after  # control: plain strings are visible to this scan
        assert address.encode() not in after
        assert PROBE_ID.encode() not in after
        # The catalogue of property values held the address as a top value: gone too.
        values = store.execute("SELECT value FROM catalog_values").rows
        assert all(address not in str(v) for (v,) in values)
        assert any(KEPT in str(v) for (v,) in values)
    assert address.encode() not in file_bytes(db_path)


def test_the_report_says_what_was_removed(store: Store) -> None:
    hw = Headway(store)
    hw.add_activities(activities(PROBE_ID, LONG, 3, 0))
    hw.add_activities(activities("anon-7", LONG, 2, 0))
    hw.merge("anon-7", PROBE_ID)
    report = erase_contact(store, PROBE_ID).to_dict()
    assert report["activities_deleted"] == 5
    assert report["merged_ids"] == ["anon-7"]
    removed = report["removed"]
    assert removed["contacts"] == 2
    assert removed["activities"] == 5
    assert removed["identity_links"] == 1
    assert removed["catalog_values"] >= 1  # the address was a value of "recipient"
    assert report["suppressed"] is True


MAILGUN_EVENT = {
    "event": "unsubscribed",
    "id": "mg-unsub-1",
    "timestamp": 1740000000.0,
    "recipient": LONG.upper(),  # ESPs may send any case: the address is normalised
}
SENDGRID_EVENTS = [
    {"email": LONG, "event": "delivered", "timestamp": 1740000000, "sg_event_id": "sg-1"},
    {"email": KEPT, "event": "delivered", "timestamp": 1740000000, "sg_event_id": "sg-2"},
]


def contact_ids(store: Store) -> list[str]:
    return [r[0] for r in store.execute("SELECT id FROM contacts ORDER BY id").rows]


def test_a_replayed_webhook_creates_nothing_and_the_address_stays_suppressed(
    store: Store,
) -> None:
    client = client_for(
        store,
        mailgun=MailgunSettings(signing_key=MAILGUN_KEY),
        sendgrid=SendGridSettings(public_key=SENDGRID_PUBLIC),
    )
    json_type = {"content-type": "application/json"}
    sendgrid_body = __import__("orjson").dumps(SENDGRID_EVENTS)
    first = client.post("/webhooks/mailgun", content=mailgun_body(MAILGUN_EVENT), headers=json_type)
    assert first.json()["accepted"] == 1
    assert (
        client.post(
            "/webhooks/sendgrid", content=sendgrid_body, headers=sendgrid_headers(sendgrid_body)
        ).json()["accepted"]
        == 2
    )
    assert contact_ids(store) == [LONG, KEPT]
    erase_contact(store, LONG)

    # The ESP retries: the same event under a fresh signature, and the same SendGrid request.
    retry = mailgun_body(MAILGUN_EVENT, token=f"retry-{time.time_ns()}")
    again = client.post("/webhooks/mailgun", content=retry, headers=json_type)
    assert again.status_code == 200, again.text
    assert again.json()["accepted"] == 0
    resent = client.post(
        "/webhooks/sendgrid", content=sendgrid_body, headers=sendgrid_headers(sendgrid_body)
    )
    assert resent.status_code == 200, resent.text
    assert contact_ids(store) == [KEPT]
    assert (
        store.execute(
            "SELECT count(*) FROM activities a JOIN contacts c ON c.key = a.contact_key"
            " WHERE c.id <> ?",
            [KEPT],
        ).scalar()
        == 0
    )
    assert is_erased(store, LONG) and is_erased(store, f"  {LONG.title()} ")
    assert not is_erased(store, KEPT)
    erased = [s for s in suppressions(DuckDBBackend(store)) if s.reason == "erased"]
    assert len(erased) == 1 and erased[0].contact is None and erased[0].email is None
    assert LONG.encode() not in file_bytes(store.path)


KEY = SigningKey("k1", b"k" * 32)
URL = "https://example.com/pricing"


def test_an_old_tracking_token_creates_nothing(store: Store) -> None:
    register_email(store, "w1", "Welcome", campaign="onboarding")
    add_link(store, "w1", URL)
    [link] = store.execute("SELECT link_id FROM email_links").rows[0]
    tracking = TrackingKey(id=KEY.id, secret=KEY.secret.decode())  # type: ignore[arg-type]
    client = AppClient(create_app(store, Settings(tracking={"keys": [tracking]})))
    signer = Signer([KEY])
    opened = f"/t/o/{signer.sign('open', 'w1', PROBE_ID)}.gif"
    clicked = f"/t/c/{signer.sign('click', 'w1', PROBE_ID, link)}"
    unsubscribe = f"/t/u/{signer.sign('unsubscribe', 'w1', PROBE_ID)}"
    assert client.request("GET", opened).status_code == 200
    assert contact_ids(store) == [PROBE_ID]
    erase_contact(store, PROBE_ID)

    assert client.request("GET", opened).status_code == 200  # the pixel is still served
    assert client.request("GET", clicked).headers["location"] == URL  # the reader still gets there
    assert (
        client.post(unsubscribe, files={"List-Unsubscribe": (None, "One-Click")}).status_code == 200
    )
    assert contact_ids(store) == []
    assert store.execute("SELECT count(*) FROM activities").scalar() == 0
    assert is_erased(store, PROBE_ID)
    assert [s.reason for s in suppressions(DuckDBBackend(store))] == ["erased"]


def test_the_rewritten_file_is_the_one_written_after_and_reads_never_fail(db_path: Path) -> None:
    import threading

    with Store(db_path) as store:
        hw = Headway(store)
        hw.add_activities(activities(KEPT, KEPT, 3, 0))
        hw.add_activities(activities(PROBE_ID, LONG, 3, 0))
        failures: list[BaseException] = []
        stop = threading.Event()

        def read() -> None:  # reports keep running while the file is swapped under them
            while not stop.is_set():
                try:
                    store.execute("SELECT count(*) FROM activities").scalar()
                    for _ in store.arrow_batches("SELECT * FROM activities", rows=2):
                        pass
                except BaseException as err:  # any failure fails the test
                    failures.append(err)

        readers = [threading.Thread(target=read) for _ in range(3)]
        for t in readers:
            t.start()
        try:
            erase_contact(store, PROBE_ID)
        finally:
            stop.set()
            for t in readers:
                t.join(timeout=60)
        assert failures == []
        hw.add_activities(activities(KEPT, KEPT, 2, 50))  # written to the new file
        assert store.execute("SELECT count(*) FROM activities").scalar() == 5
    with Store(db_path) as store:
        assert store.execute("SELECT count(*) FROM activities").scalar() == 5
        assert contact_ids(store) == [KEPT]
    assert not Path(f"{db_path}.rewrite").exists()


def test_suppression_check_finds_an_erased_address_without_listing_it(db_path: Path) -> None:
    from typer.testing import CliRunner

    from headway.cli import app

    with Store(db_path) as store:
        Headway(store).add_activities(activities(PROBE_ID, LONG, 2, 0))
        set_email(store, PROBE_ID, LONG)
        Headway(store).erase_contact(PROBE_ID)
    runner = CliRunner()
    found = runner.invoke(app, ["--db", str(db_path), "suppression", "check", LONG.upper()])
    assert (found.exit_code, found.output.strip()) == (0, f"{LONG.upper()} is suppressed: erased")
    other = runner.invoke(app, ["--db", str(db_path), "suppression", "check", KEPT])
    assert other.exit_code == 1 and "is not suppressed" in other.output
    export = runner.invoke(app, ["--db", str(db_path), "suppression", "export"])
    assert export.output.splitlines()[1:] == [export.output.splitlines()[1]]
    assert export.output.splitlines()[1].startswith(",,erased,")
    assert LONG not in export.output and PROBE_ID not in export.output


def test_erasing_beside_a_live_server_holds(tmp_path: Path) -> None:
    import subprocess
    import sys

    import httpx

    from tests.web.conftest import config_text, start_server

    db = tmp_path / "live.duckdb"
    config = tmp_path / "headway.toml"
    config.write_text(config_text(KEY))
    with Store(db) as store:
        Headway(store).add_activities(
            activities(KEPT, KEPT, 3, 0) + activities(PROBE_ID, LONG, 3, 0)
        )
        set_email(store, PROBE_ID, LONG)
        register_email(store, "w1", "Welcome", campaign="onboarding")
    server = start_server(db, config)
    try:  # the command is forwarded to the server, which owns the file and rewrites it
        done = subprocess.run(
            [str(Path(sys.executable).parent / "headway"), "--db", str(db),
             "contacts", "erase", PROBE_ID, "--yes"],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "3 activities deleted" in done.stdout
        on_disk = file_bytes(db)
        assert KEPT.encode() in on_disk
        assert LONG.encode() not in on_disk and PROBE_ID.encode() not in on_disk
        pixel = f"{server.url}/t/o/{Signer([KEY]).sign('open', 'w1', PROBE_ID)}.gif"
        assert httpx.get(pixel, timeout=10).status_code == 200
        assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200
    finally:
        log = server.stop()
    assert "Traceback" not in log
    with Store(db, read_only=True) as store:
        assert contact_ids(store) == [KEPT]
        assert store.execute("SELECT count(*) FROM activities").scalar() == 3


def test_a_dropped_report_stream_neither_blocks_nor_breaks_the_rewrite(store: Store) -> None:
    hw = Headway(store)
    hw.add_activities(activities(KEPT, KEPT, 3, 0) + activities(PROBE_ID, LONG, 3, 0))
    stream = store.arrow_batches("SELECT * FROM activities", rows=1)
    next(iter(stream))  # one batch read, then the stream is dropped unfinished
    del stream
    store.arrow_batches("SELECT * FROM activities")  # never read at all
    erase_contact(store, PROBE_ID)
    hw.add_activities(activities(KEPT, KEPT, 1, 50))  # lands in the new file, not the old one
    store.close()
    with Store(store.path) as again:
        assert again.execute("SELECT count(*) FROM activities").scalar() == 4
