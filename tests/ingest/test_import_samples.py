"""The corpus of real-shaped exports under examples/imports/: each imports with its preset
and yields the funnel of the journey written for it (counted by hand below).

Every sample mixes anonymous ids with the known id that appears at sign-up, so the first
stage counts only once the anonymous visits are merged into the contact (identities).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from headway.api import Headway
from headway.ingest.files import ImportOptions
from headway.ingest.mapping import ColumnMapping
from headway.store import Store

SAMPLES = Path(__file__).parents[2] / "examples" / "imports"
AS_OF = "2025-04-01"


def funnel_of(db: Path, sample: str, journey: str, options: ImportOptions) -> list[int]:
    """Import ``sample`` into a fresh database; the journey's reached count per stage."""
    with Headway(Store(db)) as hw:
        outcome = hw.import_files([SAMPLES / sample], options)
        assert outcome.rejected == 0, outcome.files[0].details
        report = hw.funnel(SAMPLES / journey, as_of=AS_OF)
        return [stage.reached for stage in report.stages]


def test_mixpanel(db_path: Path) -> None:
    """Visited: device a1b2 (merged into ana by $identify and by Sign Up's $device_id), bo,
    device c3d4 = 3. Signed up: ana, bo = 2 (bo's re-sent Sign Up is a duplicate). Ordered:
    ana = 1 (dee orders without visiting: never enters)."""
    assert funnel_of(
        db_path, "mixpanel.jsonl", "mixpanel.yaml", ImportOptions(preset="mixpanel")
    ) == [3, 2, 1]


def test_amplitude(db_path: Path) -> None:
    """Viewed a page: dev-ana-1 (tied to ana-42 by the sign-up event carrying both ids),
    ben-7, dev-cat-3 = 3. Signed up: ana-42, ben-7 = 2. Bought: ana-42 = 1."""
    options = ImportOptions(preset="amplitude")
    assert funnel_of(db_path, "amplitude.json.gz", "amplitude.yaml", options) == [3, 2, 1]


def test_ga4(db_path: Path) -> None:
    """Visited: cookie 1234.5678 (user_id u-900 from sign_up on), cookie 2222.1111 (u-901),
    cookie 3333.4444 = 3. Signed up: u-900, u-901 = 2. Purchased: u-900 = 1 (u-902 buys
    without a page_view: never enters)."""
    assert funnel_of(db_path, "ga4.jsonl", "ga4.yaml", ImportOptions(preset="ga4")) == [3, 2, 1]


def test_segment(db_path: Path) -> None:
    """Visited (page calls): anon-aa (identify -> user-a), user-b, anon-cc (alias -> user-c)
    = 3. Viewed a product: user-a (as anon-aa), user-b, user-c = 3. Ordered: user-a,
    user-c = 2."""
    assert funnel_of(db_path, "segment.jsonl", "segment.yaml", ImportOptions(preset="segment")) == [
        3,
        3,
        2,
    ]


def test_rudderstack(db_path: Path) -> None:
    """Visited: rs-anon-1 (identify -> u1@example.com), u2@example.com, rs-anon-3 = 3.
    Trial: u1, u2 = 2. Subscribed: u1 = 1."""
    options = ImportOptions(preset="rudderstack")
    assert funnel_of(db_path, "rudderstack.jsonl", "rudderstack.yaml", options) == [3, 2, 1]


def test_posthog(db_path: Path) -> None:
    """Visited ($pageview): 019-anon-x ($identify -> maria@example.com), joe@example.com,
    019-anon-y = 3. Signed up: maria, joe = 2. Paid: maria = 1."""
    assert funnel_of(db_path, "posthog.jsonl", "posthog.yaml", ImportOptions(preset="posthog")) == [
        3,
        2,
        1,
    ]


def test_csv(db_path: Path) -> None:
    """Visited (Página vista): ck-1 (its row c-3 ties it to lucia), marco (whose rows carry
    ck-2 too), ck-3 = 3. Demo: lucia, marco = 2. Contract: lucia = 1. The times have no
    zone: --assume-utc."""
    mapping = ColumnMapping(
        contact="user_id", type="event name", ts="time", id="event_id", anonymous="cookie_id"
    )
    options = ImportOptions(preset="csv", mapping=mapping, tz="UTC")
    assert funnel_of(db_path, "events.csv", "events.yaml", options) == [3, 2, 1]


@pytest.mark.parametrize(
    ("sample", "preset", "names"),
    [
        ("mixpanel.jsonl", "mixpanel", {"$mp_web_page_view", "Sign Up", "[Shop] Order Completed"}),
        ("amplitude.json.gz", "amplitude", {"[Amplitude] Page Viewed", "Compra realizada"}),
        ("ga4.jsonl", "ga4", {"page_view", "Página vista"}),
        ("posthog.jsonl", "posthog", {"$pageview", "$autocapture", "[Checkout] paid"}),
    ],
)
def test_names_arrive_verbatim(db_path: Path, sample: str, preset: str, names: set[str]) -> None:
    with Headway(Store(db_path)) as hw:
        hw.import_files([SAMPLES / sample], ImportOptions(preset=preset))
        stored = {row[0] for row in hw.store.execute("SELECT name FROM activity_types").rows}
    assert names <= stored


def test_property_keys_arrive_verbatim(db_path: Path) -> None:
    with Headway(Store(db_path)) as hw:
        hw.import_files([SAMPLES / "mixpanel.jsonl"], ImportOptions(preset="mixpanel"))
        row = hw.store.execute(
            "SELECT CAST(properties AS VARCHAR) FROM activities WHERE id = 'mp-002'"
        ).scalar()
    assert '"$current_url":"https://shop.example/pricing"' in row
    assert '"page.section":"pricing"' in row
    assert '"título":"Precios"' in row
