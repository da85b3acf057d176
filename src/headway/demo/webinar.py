"""The webinar: registrations after invite clicks, and planted effect (1).

Effect (1): a human click on the invite doubles the chance of visiting /pricing within
7 days. The base chance ``p0`` is measured on the invite's recipients (7 days from their
click, or from delivery for non-clickers) and each clicker then visits /pricing with
probability ``p0 / (1 - p0)`` at a uniform time in the 7 days after the click, so that
``p0 + (1 - p0) * p0 / (1 - p0) = 2 * p0``.
"""

from __future__ import annotations

import numpy as np

from headway.demo.campaigns import FORM, PAGE, WEBINAR_DAY
from headway.demo.events import Events
from headway.demo.mailing import Invite
from headway.demo.population import Population
from headway.demo.site import Progress, lognormal, uniform
from headway.demo.world import DAY, MINUTE, START_US, US, Behaviour

WINDOW = 7 * DAY
_SPAN = 400 * DAY  # wider than any time offset in the world: packs (contact, time) in one key


def registrations(
    rng: np.random.Generator, pop: Population, b: Behaviour, invite: Invite, ev: Events
) -> None:
    """Clickers land on /webinar and many register; a few others register from the site."""
    who, at = _cat(invite.clicker), _cat(invite.clicked)
    first = _first_click(who, at)
    who, at = who[first], at[first]
    # Ad blockers hide some landings from page tracking, not the click from the ESP.
    seen = rng.random(len(who)) >= b.landing_untracked
    land = at[seen] + uniform(rng, 2 * US, 10 * US, int(seen.sum()))
    ev.add(who[seen], "page_visit", land, page=PAGE["/webinar"])
    reg = rng.random(len(who)) < b.webinar_register
    t_reg = at[reg] + lognormal(rng, 3 * MINUTE, 0.8, int(reg.sum()))
    ev.add(who[reg], "form_submission", t_reg, form=FORM["webinar"])
    others = np.setdiff1d(np.arange(pop.n), who)
    organic = others[
        (rng.random(len(others)) < b.webinar_organic) & (pop.arrival[others] < WEBINAR_DAY)
    ]
    t_org = pop.arrival[organic] + (rng.random(len(organic)) * (WEBINAR_DAY - pop.arrival[organic]))
    t_org = t_org.astype(np.int64)
    ev.add(organic.astype(np.int32), "page_visit", t_org, page=PAGE["/webinar"])
    ev.add(organic.astype(np.int32), "form_submission", t_org + 2 * MINUTE, form=FORM["webinar"])


def plant_pricing_effect(
    rng: np.random.Generator, invite: Invite, progress: Progress, ev: Events
) -> float:
    """Effect (1): extra /pricing visits after human invite clicks; returns ``p0``."""
    recipient, delivered = _cat(invite.recipient), _cat(invite.delivered)
    who, at = _cat(invite.clicker), _cat(invite.clicked)
    first = _first_click(who, at)
    who, at = who[first], at[first]
    anchor = delivered.copy()
    order = np.argsort(recipient)
    recipient, anchor = recipient[order], anchor[order]
    pos = np.searchsorted(recipient, who)
    anchor[pos] = at
    p0 = float(_visited_within(progress, recipient, anchor).mean()) if len(recipient) else 0.0
    extra = rng.random(len(who)) < (p0 / (1 - p0) if p0 < 1 else 1.0)
    t = at[extra] + uniform(rng, 10 * MINUTE, WINDOW - 10 * MINUTE, int(extra.sum()))
    ev.add(who[extra], "page_visit", t, page=PAGE["/pricing"])
    return p0


def _visited_within(progress: Progress, who: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """Whether each contact has a base /pricing visit in [anchor, anchor + 7 days)."""
    offset = np.minimum(progress.pricing_ts - START_US, _SPAN - 1)
    keys = np.sort(progress.pricing_contact.astype(np.int64) * _SPAN + offset)
    lo = who.astype(np.int64) * _SPAN + (anchor - START_US)
    i = np.searchsorted(keys, lo)
    nxt = keys[np.minimum(i, len(keys) - 1)] if len(keys) else np.zeros(len(lo), np.int64)
    return (i < len(keys)) & (nxt < lo + WINDOW)


def _first_click(who: np.ndarray, at: np.ndarray) -> np.ndarray:
    order = np.lexsort((at, who))
    keep = np.ones(len(order), bool)
    keep[1:] = who[order][1:] != who[order][:-1]
    return order[keep]


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, np.int64)
