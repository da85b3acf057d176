"""The timeline tests of the funnel semantics, run through a whole backend.

``tests/engine/timeline.run`` hands a timeline and a journey to a ``BackendTimelines``: it
writes the activities into a real store (one contact per timeline name, the timeline's types,
ids in written order), defines the journey over those types, runs ``match_journey`` on the
backend (DuckDB on the file, Spark on its Parquet copy) and answers the same ``Outcome``s the
kernel tests compare, with the matched rows' labels taken from the activities' ids.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlglot import exp

from headway.engine.kernel.inputs import ACTIVITY
from headway.engine.kernel.match_types import NOT_REACHED
from headway.engine.kernel.run import match_journey
from headway.engine.options import ReportOptions, to_micros
from headway.model.journey import Journey, parse_journey
from headway.model.subsumption import strictly_later_flags
from headway.store import Store
from tests.backends.open_backend import opened
from tests.engine import timeline

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

T0 = datetime(2025, 1, 1)
AS_OF = datetime(2099, 1, 1)  # after every timeline activity
ROW = "hw_row"
SECOND = 1_000_000


def scale(window_us: int) -> int:
    """The factor k that makes the window whole seconds (times scale by k too: the kernel
    compares only differences of times with the window, so the outcome is the same)."""
    return SECOND // math.gcd(window_us, SECOND) if window_us else 1


def definition(j: timeline.Journey, k: int) -> dict[str, Any]:
    """The journey over activity types, as a user would write it."""
    names = [f"S{i}" for i in range(len(j.stages))]
    data: dict[str, Any] = {
        "name": "timeline",
        "order": j.mode,
        "window": f"{max(j.window_us * k // SECOND, 1)}s",
        "stages": [
            {"name": n, "when": {"type": sorted(s)}} for n, s in zip(names, j.stages, strict=True)
        ],
    }
    if j.exclusions:
        data["exclusions"] = [
            {"when": {"type": sorted(types)}, "between": [names[lo], names[hi]]}
            for types, lo, hi in j.exclusions
        ]
    if j.exit:
        data["exit_when"] = {"type": sorted(j.exit)}
    return data


def as_journey(j: timeline.Journey, k: int) -> Journey:
    """The parsed journey; its strictly-later flags must be the timeline's."""
    journey = parse_journey(definition(j, k))
    if j.window_us == 0:  # a zero window cannot be written; the engine takes it as given
        journey = replace(journey, window_seconds=0)
    flags = strictly_later_flags(journey)
    assert flags == j.strictly_later, f"the stages' conditions give {flags}, not the timeline's"
    return journey


def write(db_path: Path, log: timeline.Timeline, k: int) -> None:
    """The timeline's activities in a new store (id = position as written)."""
    with Store(db_path) as store:
        store.append_activities(
            pa.table(
                {
                    "id": [f"{i:06d}" for i in range(len(log.ts))],
                    "contact": list(log.contacts),
                    "type": list(log.types),
                    "ts": pa.array(
                        [T0 + timedelta(microseconds=t * k) for t in log.ts], pa.timestamp("us")
                    ),
                    "properties": ["{}"] * len(log.ts),
                    "bot": [False] * len(log.ts),
                    "bot_reason": pa.array([None] * len(log.ts), pa.string()),
                    "source": ["test"] * len(log.ts),
                }
            )
        )


@dataclass(frozen=True)
class BackendTimelines:
    """Runs timelines on one backend (``timeline.run`` calls ``run_timeline``)."""

    backend: str
    spark: SparkSession | None = None

    def __repr__(self) -> str:
        return self.backend

    def run_timeline(self, j: timeline.Journey, log: timeline.Timeline) -> dict[str, Any]:
        """Per contact name, the ``Outcome`` of the journey on this backend."""
        k = scale(j.window_us)
        journey = as_journey(j, k)
        t0 = to_micros(T0)
        options = ReportOptions(as_of=AS_OF, date_range=None)
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "h.duckdb"
            write(db_path, log, k)
            with opened(self.backend, db_path, Path(tmp), self.spark) as backend:
                extras = {ROW: exp.column("id", ACTIVITY)}
                matched = match_journey(backend, journey, options, extras)
            res = matched.result
            # Contact names by key from the store (the Spark copy keeps DuckDB's keys; the
            # backends' contact_ids are tested with the contact lists, at a Spark job a call).
            with Store(db_path, read_only=True) as store:
                ids = dict(store.execute("SELECT key, id FROM contacts").rows)
            names = [ids[int(key)] for key in res.contact]

        def seconds(us: int) -> float:
            return (us - t0) / k / SECOND

        # A contact none of whose activities touches the journey has no row on a backend
        # (the input query reads only relevant activities): it reached nothing.
        out = {name: timeline.Outcome(0) for name in log.contacts}
        for i, name in enumerate(names):
            n = int(res.reached[i])
            rows = res.stage_row[i, :n].tolist()
            out[name] = timeline.Outcome(
                reached=n,
                removed=bool(res.removed[i]),
                times=tuple(seconds(t) for t in res.stage_ts[i, :n].tolist()),
                rows=tuple(log.labels[int(matched.extras[ROW][r])] for r in rows),
                exit=None if res.exit_ts[i] == NOT_REACHED else seconds(int(res.exit_ts[i])),
            )
        return out
