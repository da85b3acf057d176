"""Who is where: the contacts who reached, dropped at, are in progress at, or stalled at a stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from headway.backends.base import Backend
from headway.engine.funnel.outcomes import CONVERTED, DROPPED, IN_PROGRESS, Outcomes, outcomes
from headway.engine.kernel.match_types import NOT_REACHED
from headway.engine.kernel.run import Matched
from headway.engine.options import from_micros
from headway.engine.results import Tabular, iso, jsonable
from headway.errors import InvalidInput, NotFound
from headway.model.journey import Journey

# "moving": in progress and not stalled (in_progress = moving + stalled).
STATUSES: tuple[str, ...] = ("reached", "dropped", "in_progress", "stalled", "moving", "converted")
STATUS_NAMES = {CONVERTED: "converted", DROPPED: "dropped", IN_PROGRESS: "in_progress"}


@dataclass(frozen=True)
class ContactRow:
    """One contact's place in the journey."""

    contact: str
    reached: int
    last_stage: str
    status: str
    stalled: bool
    stage_times: tuple[datetime | None, ...]


@dataclass(frozen=True)
class ContactList(Tabular):
    """A page of contacts at a stage with a status."""

    journey: str
    stage: int
    stage_name: str
    status: str
    as_of: datetime
    total: int
    offset: int
    limit: int | None
    contacts: tuple[ContactRow, ...]
    stage_names: tuple[str, ...]

    def rows(self) -> list[dict[str, Any]]:
        """One row per contact with a column per stage time."""
        out = []
        for c in self.contacts:
            row: dict[str, Any] = {
                "contact": c.contact,
                "reached": c.reached,
                "last_stage": c.last_stage,
                "status": c.status,
                "stalled": c.stalled,
            }
            for name, ts in zip(self.stage_names, c.stage_times, strict=True):
                row[f"t_{name}"] = ts
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the page plus paging figures."""
        return {
            "journey": self.journey,
            "stage": {"index": self.stage, "name": self.stage_name},
            "status": self.status,
            "as_of": iso(self.as_of),
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "contacts": [
                {
                    **jsonable(c.__dict__),
                    "stage_times": dict(
                        zip(self.stage_names, jsonable(list(c.stage_times)), strict=True)
                    ),
                }
                for c in self.contacts
            ],
        }


def resolve_stage(journey: Journey, ref: str | int) -> int:
    """A 0-based stage index from a 1-based index or a stage name."""
    names = [s.name for s in journey.stages]
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        number = int(ref)
        if 1 <= number <= len(names):
            return number - 1
        raise InvalidInput(
            f"--stage: {number} is not a stage of '{journey.name}' (1..{len(names)})"
        )
    if ref in names:
        return names.index(ref)
    lowered = [n.lower() for n in names]
    if str(ref).lower() in lowered:
        return lowered.index(str(ref).lower())
    raise NotFound(
        f"--stage: no stage named '{ref}' in '{journey.name}' (stages: {', '.join(names)})"
    )


def select_contacts(outs: Outcomes, matched: Matched, stage: int, status: str) -> np.ndarray:
    """Boolean mask of the contacts at ``stage`` (0-based) with ``status``."""
    if status not in STATUSES:
        raise InvalidInput(f"--status: '{status}' is not one of {', '.join(STATUSES)}")
    reached = matched.result.reached
    if status == "reached":
        return reached >= stage + 1
    if status == "converted":
        return outs.status == CONVERTED
    at = outs.last_stage == stage
    if status == "stalled":
        return at & outs.stalled
    if status == "moving":
        return at & (outs.status == IN_PROGRESS) & ~outs.stalled
    return at & (outs.status == (DROPPED if status == "dropped" else IN_PROGRESS))


def contact_list(
    backend: Backend,
    matched: Matched,
    stage: int,
    status: str = "reached",
    *,
    offset: int = 0,
    limit: int | None = None,
) -> ContactList:
    """A page of the contacts at ``stage`` with ``status``, ordered by contact id."""
    outs = outcomes(matched)
    mask = select_contacts(outs, matched, stage, status)
    idx = np.flatnonzero(mask)
    ids = backend.contact_ids(matched.result.contact[idx])
    order = np.argsort(ids.astype(str), kind="stable")
    page = order[offset : None if limit is None else offset + limit]
    names = tuple(s.name for s in matched.journey.stages)
    rows = tuple(_row(matched, outs, int(idx[j]), str(ids[j]), names) for j in page)
    return ContactList(
        journey=matched.journey.name,
        stage=stage + 1,
        stage_name=names[stage],
        status=status,
        as_of=matched.options.as_of,
        total=len(idx),
        offset=offset,
        limit=limit,
        contacts=rows,
        stage_names=names,
    )


def _row(
    matched: Matched, outs: Outcomes, i: int, contact: str, names: tuple[str, ...]
) -> ContactRow:
    res = matched.result
    times = tuple(
        from_micros(int(t)) if t != NOT_REACHED else None for t in res.stage_ts[i, : len(names)]
    )
    last = int(outs.last_stage[i])
    return ContactRow(
        contact=contact,
        reached=int(res.reached[i]),
        last_stage=names[last] if last >= 0 else "",
        status=STATUS_NAMES.get(int(outs.status[i]), "not_entered"),
        stalled=bool(outs.stalled[i]),
        stage_times=times,
    )
