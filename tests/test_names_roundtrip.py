"""Any name round-trips: a printable string (1-200 characters, no control characters) used as
an activity type AND as a property key goes in through the HTTP batch path and a file import,
is named by a journey (type and ``where`` on that key), gives the expected funnel, comes out in
CSV (contact list and activity export) and JSON, and shows literally, HTML-escaped, on the
dashboard's journey and contact pages (issue #14).

One database is shared by every example; each example's contacts carry their own prefix and
its journey filters on it, so examples that draw the same name do not disturb each other.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import markupsafe
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headway.api import Headway
from headway.ingest.export import export_activities
from headway.ingest.files import import_file
from headway.model.condition import property_field
from headway.model.journey import journey_to_dict, parse_journey
from headway.settings import Settings
from headway.store import Store
from headway.store.journeys import save_journey
from headway.web.app import create_app
from tests.web.conftest import Client

NAMES = st.text(
    st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=200
)  # fmt: skip
HOSTILE = ["[Amplitude] Page Viewed", "<script>alert(1)</script>", 'a"b\\c', "=SUM(A1)"]
HTML = {"accept": "text/html"}
_COUNTER = itertools.count()


class World:
    """The shared store, the in-process app over it, and a folder for files."""

    def __init__(self, store: Store, client: Client, folder: Path, baseline: str) -> None:
        self.store = store
        self.client = client
        self.folder = folder
        self.baseline = baseline  # a journey page without any generated name


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("names")
    with Store(folder / "names.duckdb") as store:
        client = Client(create_app(store, Settings()))
        Headway(store).add_activities(
            [{"contact": "base", "type": "visit", "ts": "2025-01-01T00:00:00Z"}]
        )
        definition = {"name": "Baseline", "stages": [{"name": "V", "when": {"type": "visit"}}]}
        save_journey(store, parse_journey(definition), json.dumps(definition))
        baseline = client.get("/journeys/Baseline", headers=HTML).text
        baseline += client.get("/contacts/base", headers=HTML).text
        yield World(store, client, folder, baseline)


def round_trip(world: World, kind: str, key: str) -> None:
    """Everything the issue asks of one (type, key) pair."""
    n = next(_COUNTER)
    prefix = f"rt{n}-"
    start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=n)
    at = [(start + timedelta(hours=h)).isoformat() for h in range(3)]
    # 1. In through the HTTP batch path (validate_records + store) ...
    Headway(world.store).add_activities(
        [
            {"contact": prefix + "a", "type": kind, "ts": at[0], "properties": {key: "no"}},
            {"contact": prefix + "a", "type": kind, "ts": at[1], "properties": {key: "yes"}},
            {"contact": prefix + "b", "type": kind, "ts": at[0], "properties": {key: "no"}},
        ]
    )
    # ... and a file import (Parquet: checked in SQL).
    path = world.folder / f"{n}.parquet"
    pq.write_table(
        pa.table(
            {
                "id": [f"{prefix}f1", f"{prefix}f2"],
                "contact": [prefix + "c"] * 2,
                "type": [kind] * 2,
                "ts": pa.array([start, start + timedelta(hours=2)], pa.timestamp("us", tz="UTC")),
                "properties": [orjson.dumps({key: "yes"}).decode()] * 2,
            }
        ),
        path,
    )
    imported = import_file(world.store, path)
    assert (imported.imported, imported.rejected) == (2, 0), imported.details
    # 2. A journey naming the type and the key.
    second = f"yes: {key}" if f"yes: {key}" != kind else f"yes:: {key}"
    name = f"Round trip {n}"
    definition = {
        "name": name,
        "window": "1d",
        "filter": {"where": {"contact": {"starts_with": prefix}}},
        "stages": [
            {"name": kind, "when": {"type": kind}},
            {"name": second, "when": {"type": kind, "where": {property_field((key,)): "yes"}}},
        ],
    }
    journey = parse_journey(definition)
    assert parse_journey(journey_to_dict(journey)) == journey
    save_journey(world.store, journey, json.dumps(definition))
    # 3. The funnel: a (no, then yes), b (no), c (yes, then yes) -> 3 entered, 2 on.
    report = Headway(world.store).funnel(definition, as_of="2030-01-01")
    assert [s.reached for s in report.stages] == [3, 2]
    url = "/api/v1/journeys/" + quote(name, safe="")
    data = orjson.loads(world.client.get(url + "/funnel?as_of=2030-01-01").content)
    assert [(s["name"], s["reached"]) for s in data["stages"]] == [(kind, 3), (second, 2)]
    # 4. CSV: the contact list (header names the stages verbatim) and the activity export.
    got = world.client.get(url + "/contacts?stage=1&format=csv&as_of=2030-01-01")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0][5:] == [f"t_{kind}", f"t_{second}"]
    assert [r[0] for r in rows[1:]] == [prefix + c for c in "abc"]
    export = world.folder / f"{n}.csv"
    export_activities(world.store, export, fmt="csv", types=[kind])
    with export.open(newline="", encoding="utf-8") as f:
        mine = [r for r in csv.DictReader(f) if r["contact"].startswith(prefix)]
    assert len(mine) == 5 and {r["type"] for r in mine} == {kind}
    assert all(key in json.loads(r["properties"]) for r in mine)
    # 5. The dashboard shows both names literally, HTML-escaped.
    page = world.client.get("/journeys/" + quote(name, safe=""), headers=HTML)
    assert page.status_code == 200, page.text[:300]
    contact = world.client.get("/contacts/" + quote(prefix + "a", safe=""), headers=HTML)
    assert contact.status_code == 200, contact.text[:300]
    assert str(markupsafe.escape(kind)) in page.text
    assert str(markupsafe.escape(second)) in page.text
    assert str(markupsafe.escape(kind)) in contact.text
    # The chart (drawn by Plotly from JSON) gets the names with Plotly's pseudo-HTML escaped.
    figure = re.search(r'<script type="application/json" id="funnel-figure">(.*?)</script>',
                       page.text, re.S)  # fmt: skip
    assert figure is not None
    labels = json.loads(figure.group(1))["data"][0]["y"]
    assert labels == [html.escape(kind, quote=False), html.escape(second, quote=False)]
    # Unescaped, a name holding "<" appears on no page that shows it (the stage names on the
    # journey page, the type on the contact page).
    for text, shown_on in ((kind, (page, contact)), (second, (page,))):
        if "<" in text and text not in world.baseline:
            assert all(text not in shown.text for shown in shown_on)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_round_trip(world: World, name: str) -> None:
    round_trip(world, name, name)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kind=NAMES, key=NAMES)
def test_any_printable_name_round_trips(world: World, kind: str, key: str) -> None:
    round_trip(world, kind, key)


def test_json_shows_names_verbatim(world: World) -> None:
    """The API's JSON carries a name as the same string (JSON escapes only)."""
    kind = 'Página vista "quoted" \\ [x] </script>'
    round_trip(world, kind, "context.page url")
    found: Any = orjson.loads(world.client.get("/api/v1/journeys").content)
    assert any(j["name"].startswith("Round trip") for j in found["journeys"])
