"""What contacts do on the web site: landing, browsing, and the path to a purchase.

The path (pricing -> trial or sales -> docs -> purchase) is drawn independently of email
engagement, so that without the planted effects no email touchpoint moves anyone forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from headway.demo.campaigns import (
    BROWSE_PAGES,
    BROWSE_WEIGHTS,
    DOCS_PAGES,
    FORM,
    LANDING_PAGES,
    LANDING_WEIGHTS,
    PAGE,
    PLANS,
    UTMS,
)
from headway.demo.events import Events
from headway.demo.population import COUNTRY_CURRENCY, Population
from headway.demo.world import DAY, END_US, HOUR, MINUTE, START_US, US, Behaviour


def lognormal(rng: np.random.Generator, median_us: float, sigma: float, n: int) -> np.ndarray:
    """Delays with the given median (µs) and log-spread: minutes to weeks, right-skewed."""
    return (median_us * np.exp(sigma * rng.standard_normal(n))).astype(np.int64)


def uniform(rng: np.random.Generator, low_us: float, high_us: float, n: int) -> np.ndarray:
    """Delays drawn uniformly between two durations (µs)."""
    return (low_us + rng.random(n) * (high_us - low_us)).astype(np.int64)


@dataclass
class Progress:
    """Where each contact got to, and every /pricing visit (for the webinar effect)."""

    pricing: np.ndarray
    sales: np.ndarray
    trial: np.ndarray
    purchase: np.ndarray
    pricing_contact: np.ndarray
    pricing_ts: np.ndarray


def simulate(rng: np.random.Generator, pop: Population, b: Behaviour, ev: Events) -> Progress:
    """Generate landing visits, sign-ups, browsing and the path to purchase."""
    _landing(rng, pop, b, ev)
    browse_c, browse_t = _browsing(rng, pop, b, ev)
    progress = _path(rng, pop, b, ev)
    progress.pricing_contact = np.concatenate([browse_c, progress.pricing_contact])
    progress.pricing_ts = np.concatenate([browse_t, progress.pricing_ts])
    return progress


def _landing(rng: np.random.Generator, pop: Population, b: Behaviour, ev: Events) -> None:
    idx = np.arange(pop.n, dtype=np.int32)
    landing = rng.choice(LANDING_PAGES, pop.n, p=LANDING_WEIGHTS)
    utm = np.where(rng.random(pop.n) < b.landing_utm_share, rng.integers(0, len(UTMS), pop.n), -1)
    ev.add(idx, "page_visit", pop.arrival, page=landing, utm=utm)
    new = idx[~pop.existing]
    signup = pop.arrival[new] + uniform(rng, 30 * US, 5 * MINUTE, len(new))
    ev.add(new, "form_submission", signup, form=FORM["newsletter"])


def _browsing(
    rng: np.random.Generator, pop: Population, b: Behaviour, ev: Events
) -> tuple[np.ndarray, np.ndarray]:
    """Background visits; returns the (contact, time) of those that hit /pricing."""
    since = np.where(pop.existing, START_US, pop.arrival)
    span = END_US - since
    count = rng.poisson(b.browse_per_day * span / DAY)
    who = np.repeat(np.arange(pop.n, dtype=np.int32), count)
    ts = since[who] + (rng.random(len(who)) * span[who]).astype(np.int64)
    page = rng.choice(BROWSE_PAGES, len(who), p=BROWSE_WEIGHTS)
    ev.add(who, "page_visit", ts, page=page)
    hit = page == PAGE["/pricing"]
    return who[hit], ts[hit]


def _path(rng: np.random.Generator, pop: Population, b: Behaviour, ev: Events) -> Progress:
    n = pop.n
    idx = np.arange(n, dtype=np.int32)
    pricing = rng.random(n) < b.interest
    t_pricing = pop.arrival + lognormal(rng, 5 * DAY, 1.2, n)
    ev.add(idx[pricing], "page_visit", t_pricing[pricing], page=PAGE["/pricing"])
    sales = pricing & (rng.random(n) < b.contact_sales)
    t_sales = t_pricing + lognormal(rng, 2 * DAY, 1.0, n)
    _form(ev, idx[sales], t_sales[sales], "/contact-sales", "contact-sales")
    trial = pricing & (rng.random(n) < b.trial)
    t_trial = t_pricing + lognormal(rng, 6 * HOUR, 1.2, n)
    _form(ev, idx[trial], t_trial[trial], "/trial", "trial")
    docs = trial & (rng.random(n) < b.trial_docs)
    t_docs = t_trial + lognormal(rng, 1 * DAY, 1.0, n)
    _docs_visits(rng, ev, idx[docs], t_docs[docs])
    bought = docs & (rng.random(n) < b.docs_purchase)
    t_buy = t_docs + lognormal(rng, 8 * DAY, 0.8, n)
    plan = np.where(rng.random(n) < 0.6, 1, 0)
    via_sales = sales & ~bought & (rng.random(n) < b.sales_purchase)
    t_buy = np.where(via_sales, t_sales + lognormal(rng, 14 * DAY, 0.6, n), t_buy)
    plan = np.where(via_sales, 2, plan)
    buyers = bought | via_sales
    _purchases(rng, pop, ev, idx[buyers], t_buy[buyers], plan[buyers])
    for sent, at, page in ((sales, t_sales, "/contact-sales"), (trial, t_trial, "/trial")):
        left = pricing & ~sent & (rng.random(n) < b.form_abandon)  # opened the form, went away
        ev.add(idx[left], "page_visit", at[left], page=PAGE[page])
    return Progress(
        pricing=pricing & (t_pricing < END_US),
        sales=sales & (t_sales < END_US),
        trial=trial & (t_trial < END_US),
        purchase=buyers & (t_buy < END_US),
        pricing_contact=idx[pricing],
        pricing_ts=t_pricing[pricing],
    )


def _form(ev: Events, who: np.ndarray, ts: np.ndarray, page: str, form: str) -> None:
    ev.add(who, "page_visit", ts - 2 * MINUTE, page=PAGE[page])
    ev.add(who, "form_submission", ts, form=FORM[form])


def _docs_visits(rng: np.random.Generator, ev: Events, who: np.ndarray, ts: np.ndarray) -> None:
    ev.add(who, "page_visit", ts, page=rng.choice(DOCS_PAGES, len(who)))
    more = rng.poisson(1.5, len(who))
    again = np.repeat(np.arange(len(who)), more)
    later = ts[again] + lognormal(rng, 3 * DAY, 1.0, len(again))
    ev.add(who[again], "page_visit", later, page=rng.choice(DOCS_PAGES, len(again)))


def _purchases(
    rng: np.random.Generator,
    pop: Population,
    ev: Events,
    who: np.ndarray,
    ts: np.ndarray,
    plan: np.ndarray,
) -> None:
    annual = rng.random(len(who)) < 0.25
    price = np.array([p[1] for p in PLANS])[plan]
    value = np.where(annual, price * 10, price)
    currency = COUNTRY_CURRENCY[pop.country[who]]
    ev.add(who, "purchase", ts, plan=plan, value=value, currency=currency)
