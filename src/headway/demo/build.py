"""Build the demo world into a store, chunk by chunk: ``build_demo``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from headway.demo import load
from headway.demo.examples import save_examples
from headway.demo.generate import generate_chunk
from headway.demo.world import DemoConfig
from headway.errors import Conflict
from headway.store import Store


@dataclass(frozen=True)
class DemoSummary:
    """What a build wrote and how long it took."""

    contacts: int
    activities: int
    seconds: float
    webinar_base_rate: float  # p0 of planted effect (1), averaged over chunks (0 when off)


def has_activities(store: Store) -> bool:
    """Whether the store already holds any activity."""
    return bool(store.execute("SELECT count(*) FROM (SELECT 1 FROM activities LIMIT 1)").scalar())


def build_demo(
    store: Store, config: DemoConfig, on_progress: Callable[[int], None] | None = None
) -> DemoSummary:
    """Generate the demo world described by ``config`` into an empty store."""
    if has_activities(store):
        raise Conflict(
            f"{store.path} already holds activities; use --force to replace it or choose another --db"
        )
    started = time.perf_counter()
    load.write_catalogue(store)
    offset, p0s = 0, []
    for first, n in config.chunks():
        chunk = generate_chunk(config, first, n)
        load.write_chunk(store, chunk, config.seed, offset)
        offset += len(chunk.columns["ts"])
        p0s.append(chunk.p0)
        if on_progress is not None:
            on_progress(n)
    save_examples(store)  # so the dashboard opens on the example journeys
    seconds = time.perf_counter() - started
    return DemoSummary(config.contacts, offset, seconds, sum(p0s) / len(p0s))
