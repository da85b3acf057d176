"""Attribution of a journey's conversions to touchpoints (issue 6, item 4).

Paths: for each contact who entered the journey (its best attempt, docs/semantics.md), the
touchpoints (``engine/diagnostics/touchpoints.py``: type plus identifying property, human view by
default) from its entry up to its conversion (reaching the last stage), or for a contact that
did not convert up to the end of its window or ``as_of``, whichever comes first — both ends
inclusive. Activities that define a stage of the journey are not touchpoints, and neither
are email sends (``email_sent``): a send is not something the contact sees; its delivery,
opens and clicks are (keeping both would count every email twice).

Models: first-touch, last-touch, linear, position-based (``attribution_models.py``) and the
Markov-chain removal effect (``markov.py``). Conversions whose path holds no touchpoint are
counted but attributed to none, so each model's credits sum to ``attributed_conversions``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow.compute as pc

from headway.backends.base import Backend
from headway.engine.attribution.heuristics import HEURISTICS, heuristic_attribution
from headway.engine.attribution.markov import MarkovResult, markov_attribution
from headway.engine.attribution.paths import Paths, group_paths
from headway.engine.diagnostics.touchpoints import (
    describe,
    email_names,
    fetch_touchpoints,
    intervals_table,
    stage_mask,
)
from headway.engine.kernel.run import Matched, match_journey
from headway.engine.options import ReportOptions
from headway.engine.results import Tabular, iso
from headway.errors import Detail, InvalidInput
from headway.model.journey import Journey

# What runs a journey: ``match_journey`` on a backend, or the API's match cache.
Matcher = Callable[[Journey, ReportOptions], Matched]

MODELS: tuple[str, ...] = ("first", "last", "linear", "position", "markov")
MAX_ORDER = 4
NOT_TOUCHPOINTS = ("email_sent:",)  # key prefixes left out of paths (see the module doc)


@dataclass(frozen=True)
class AttributionOptions:
    """Which models to run, the Markov chain's order and the view (human by default)."""

    models: tuple[str, ...] = MODELS
    order: int = 1
    human: bool = True

    def __post_init__(self) -> None:
        unknown = [m for m in self.models if m not in MODELS]
        if unknown or not self.models:
            raise InvalidInput(
                f"unknown attribution model {', '.join(unknown) or '(none)'}",
                [Detail(f"use one of {', '.join(MODELS)} or all", field="model")],
            )
        if not 1 <= self.order <= MAX_ORDER:
            raise InvalidInput(
                f"Markov order {self.order} is out of range",
                [Detail(f"use 1 to {MAX_ORDER}", field="order")],
            )


def parse_models(text: str | None) -> tuple[str, ...]:
    """``all`` (or nothing) means every model; otherwise comma-separated model names."""
    if text is None or text.strip() in ("", "all"):
        return MODELS
    names = tuple(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    AttributionOptions(models=names)  # validates
    return names


@dataclass(frozen=True)
class TouchpointCredit:
    """One touchpoint: reach, conversions credited per model and its Markov removal effect."""

    touchpoint: str
    contacts: int  # contacts whose path holds it
    converted: int  # of those, contacts who converted
    credits: dict[str, float]
    removal_effect: float | None
    label: str = ""  # how a marketer reads it: "received Welcome 1" (email names, not ids)


@dataclass(frozen=True)
class AttributionReport(Tabular):
    """Per touchpoint, the conversions each model credits it with."""

    journey: str
    as_of: datetime
    human: bool
    models: tuple[str, ...]
    order: int
    contacts: int
    conversions: int
    attributed_conversions: int  # conversions whose path holds a touchpoint
    conversion_probability: float | None  # P(conversion) of the Markov chain
    states: int | None
    touchpoints: tuple[TouchpointCredit, ...]

    def share(self, credit: float) -> float | None:
        """A credit as a share of the attributed conversions."""
        total = self.attributed_conversions
        return credit / total if total else None

    def rows(self) -> list[dict[str, Any]]:
        """One row per touchpoint: reach, then per model its conversions and share."""
        out = []
        for t in self.touchpoints:
            row: dict[str, Any] = {
                "touchpoint": t.touchpoint,
                "label": t.label or t.touchpoint,
                "contacts": t.contacts,
                "converted": t.converted,
            }
            for model in self.models:
                row[model] = t.credits[model]
                row[f"{model}_share"] = self.share(t.credits[model])
            if "markov" in self.models:
                row["removal_effect"] = t.removal_effect
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "journey": self.journey,
            "as_of": iso(self.as_of),
            "human": self.human,
            "models": list(self.models),
            "order": self.order,
            "contacts": self.contacts,
            "conversions": self.conversions,
            "attributed_conversions": self.attributed_conversions,
            "unattributed_conversions": self.conversions - self.attributed_conversions,
            "markov": {"conversion_probability": self.conversion_probability, "states": self.states}
            if "markov" in self.models
            else None,
            "touchpoints": self.rows(),
        }


def attribution_report(
    backend: Backend,
    journey: Journey,
    options: ReportOptions,
    attribution: AttributionOptions | None = None,
    matcher: Matcher | None = None,
) -> AttributionReport:
    """Attribute a journey's conversions to touchpoints with each chosen model.

    ``matcher`` replaces ``match_journey`` on ``backend`` (the API passes its cache).
    """
    attribution = attribution or AttributionOptions()
    matched = (matcher or (lambda j, o: match_journey(backend, j, o)))(journey, options)
    paths = journey_paths(backend, matched, human=attribution.human)
    return build_report(matched, paths, attribution, email_names(backend))


def build_report(
    matched: Matched,
    paths: Paths,
    attribution: AttributionOptions,
    names: dict[str, str] | None = None,
) -> AttributionReport:
    """The report from a journey's paths (pure); ``names`` (email id -> name) label the
    touchpoints as a marketer reads them."""
    credits = {m: heuristic_attribution(paths, m) for m in attribution.models if m in HEURISTICS}
    markov: MarkovResult | None = None
    if "markov" in attribution.models:
        markov = markov_attribution(paths, attribution.order)
        credits["markov"] = markov.attributed
    reach = paths.reach()
    rank = "markov" if markov is not None else attribution.models[0]
    ordered = sorted(reach, key=lambda t: (-credits[rank][t], -reach[t][0], t))
    return AttributionReport(
        journey=matched.journey.name,
        as_of=matched.options.as_of,
        human=attribution.human,
        models=tuple(m for m in MODELS if m in attribution.models),
        order=attribution.order,
        contacts=paths.contacts(),
        conversions=paths.total_conversions(),
        attributed_conversions=paths.attributable_conversions(),
        conversion_probability=markov.conversion_probability if markov else None,
        states=markov.states if markov else None,
        touchpoints=tuple(
            TouchpointCredit(
                touchpoint=t,
                contacts=reach[t][0],
                converted=reach[t][1],
                credits={m: credits[m][t] for m in attribution.models},
                removal_effect=markov.removal_effects[t] if markov else None,
                label=describe(t, names),
            )
            for t in ordered
        ),
    )


def journey_paths(backend: Backend, matched: Matched, human: bool = True) -> Paths:
    """Each entered contact's touchpoints from entry to conversion (or window end / as_of)."""
    res = matched.result
    n = len(matched.journey.stages)
    entered = res.reached >= 1
    keys = res.contact[entered]
    entry = res.stage_ts[entered, 0]
    converted = res.reached[entered] == n
    open_end = np.minimum(entry + matched.window_us, matched.as_of_us)
    end = np.where(converted, res.stage_ts[entered, n - 1], open_end) + 1  # inclusive
    intervals = intervals_table(np.zeros(len(keys)), keys, entry, end, stage_mask(range(n)))
    rows = fetch_touchpoints(
        backend, matched.journey, matched.options, intervals, human=human, grouped=False
    )
    touchpoint = rows.column("touchpoint")
    left_out = [pc.starts_with(touchpoint, prefix) for prefix in NOT_TOUCHPOINTS]
    rows = rows.filter(pc.invert(functools.reduce(pc.or_, left_out)))
    return group_paths(
        keys, converted, rows.column("contact_key").to_numpy(), rows.column("touchpoint")
    )
