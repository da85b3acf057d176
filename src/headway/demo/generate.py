"""One chunk of the demo world, generated with numpy: contacts, their activities, truth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from headway.demo import population, site, webinar
from headway.demo.events import Events, T
from headway.demo.mailing import NEVER, Mailing
from headway.demo.world import END_US, DemoConfig

LIFECYCLES = ("subscriber", "lead", "mql", "trial", "opportunity", "customer")
SUBSCRIPTIONS = ("subscribed", "unsubscribed", "bounced", "complained")


@dataclass
class Chunk:
    """Generated contacts ``first .. first + n - 1`` with their activities as columns."""

    first: int
    columns: dict[str, np.ndarray]  # events.COLUMNS; ``contact`` is the global number
    pop: population.Population
    lifecycle: np.ndarray  # index into LIFECYCLES
    subscription: np.ndarray  # index into SUBSCRIPTIONS
    p0: float  # measured base rate of effect (1) (0 when the effect is off)


def generate_chunk(config: DemoConfig, first: int, n: int) -> Chunk:
    """Generate one chunk; the same (seed, first, n) always gives the same chunk."""

    def rng(stream: int) -> np.random.Generator:
        return np.random.default_rng([config.seed, first, stream])

    b, ev = config.behaviour, Events()
    pop = population.draw(rng(0), first, n, b)
    progress = site.simulate(rng(1), pop, b, ev)
    suppressed = np.full(n, NEVER, dtype=np.int64)
    invite = Mailing(rng(2), pop, b, config.effects, ev, suppressed).run()
    webinar.registrations(rng(3), pop, b, invite, ev)
    p0 = 0.0
    if config.effects.webinar_pricing:  # its own stream: the rest of the world is unchanged
        p0 = webinar.plant_pricing_effect(rng(4), invite, progress, ev)
    columns = ev.finish(END_US)
    lifecycle = _lifecycle(pop, progress)
    subscription = _subscription(n, columns)
    columns["contact"] = columns["contact"] + np.int32(first)
    return Chunk(first, columns, pop, lifecycle, subscription, p0)


def _lifecycle(pop: population.Population, p: site.Progress) -> np.ndarray:
    stage = np.where(pop.existing, 0, 1)
    for level, reached in ((2, p.pricing), (3, p.trial), (4, p.sales), (5, p.purchase)):
        stage = np.where(reached, np.maximum(stage, level), stage)
    return stage


def _subscription(n: int, cols: dict[str, np.ndarray]) -> np.ndarray:
    """The contact's state at the end: a later state does not undo an earlier stop."""
    state = np.zeros(n, dtype=np.int8)
    hard = (cols["type"] == T["email_bounce"]) & (cols["bounce"] == 0)
    for code, mask in (
        (1, cols["type"] == T["email_unsubscribe"]),
        (3, cols["type"] == T["email_spam_report"]),
        (2, hard),
    ):
        state[cols["contact"][mask]] = code
    return state
