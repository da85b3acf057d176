"""Email sends and what follows them: bounces, opens, clicks, unsubscribes, complaints.

Each contact's sends are processed in time order (rank by rank over a contacts × emails
matrix of send times), so that a hard bounce, an unsubscribe or a spam report stops the
mail that would have followed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from headway.demo import clients
from headway.demo.campaigns import EMAILS, LINKS, WEBINAR
from headway.demo.events import GMAIL_PREFETCH, HUMAN, MPP, SCANNER, Events
from headway.demo.population import APPLE, GMAIL, Population
from headway.demo.site import lognormal, uniform
from headway.demo.world import END_US, HOUR, MINUTE, US, Behaviour, Effects, to_us

NEVER = np.iinfo(np.int64).max
EMAIL_LINKS = [
    np.array([g for g, (e, _) in enumerate(LINKS) if e == i]) for i in range(len(EMAILS))
]
HONEYPOTS = np.array([g for g, (_, link) in enumerate(LINKS) if link.honeypot])
HUMAN_LINKS = [np.array([g for g in ls if not LINKS[g][1].honeypot]) for ls in EMAIL_LINKS]
HUMAN_WEIGHTS = [
    np.array([LINKS[g][1].weight for g in ls]) / sum(LINKS[g][1].weight for g in ls)
    for ls in HUMAN_LINKS
]


@dataclass
class Invite:
    """Recipients of the webinar invite and its human clickers (first click)."""

    recipient: list[np.ndarray] = field(default_factory=list)
    delivered: list[np.ndarray] = field(default_factory=list)
    clicker: list[np.ndarray] = field(default_factory=list)
    clicked: list[np.ndarray] = field(default_factory=list)


@dataclass
class Mailing:
    """One chunk's mail run: the shared state of its sends."""

    rng: np.random.Generator
    pop: Population
    b: Behaviour
    effects: Effects
    ev: Events
    suppressed: np.ndarray
    invite: Invite = field(default_factory=Invite)

    def run(self) -> Invite:
        """Send every email to every eligible contact, in each contact's time order."""
        times = self._send_times()
        order = np.argsort(times, axis=1, kind="stable")
        rows = np.arange(self.pop.n)
        for rank in range(len(EMAILS)):
            email = order[:, rank]
            t = times[rows, email]
            live = (t < END_US) & (t < self.suppressed)
            for e in np.unique(email[live]):
                who = rows[live & (email == e)].astype(np.int32)
                self._send(int(e), who, t[who])
        return self.invite

    def _send_times(self) -> np.ndarray:
        pop, n = self.pop, self.pop.n
        times = np.full((n, len(EMAILS)), NEVER, dtype=np.int64)
        for i, email in enumerate(EMAILS):
            if email.send_time is None:  # a series step after sign-up: new contacts only
                t = pop.arrival + email.delay_us + uniform(self.rng, 0, 10 * MINUTE, n)
                times[:, i] = np.where(pop.existing, NEVER, t)
            else:  # a broadcast, spread over 45 minutes, to everyone signed up by then
                at = to_us(email.send_time)
                t = at + uniform(self.rng, 0, 45 * MINUTE, n)
                times[:, i] = np.where(pop.existing | (pop.arrival < at), t, NEVER)
        return times

    def _send(self, e: int, who: np.ndarray, t: np.ndarray) -> None:
        rng, ev, n = self.rng, self.ev, len(who)
        ev.add(who, "email_sent", t, email=e)
        hard = self.pop.bad_address[who]
        soft = ~hard & (rng.random(n) < self.b.soft_bounce)
        t_bounce = t + uniform(rng, 2 * US, 60 * US, n)
        ev.add(who[hard], "email_bounce", t_bounce[hard], email=e, bounce=0)
        ev.add(who[soft], "email_bounce", t_bounce[soft], email=e, bounce=1)
        self.suppressed[who[hard]] = t_bounce[hard]
        ok = ~hard & ~soft
        d, td = who[ok], t[ok] + uniform(rng, 1 * US, 40 * US, int(ok.sum()))
        ev.add(d, "email_delivered", td, email=e)
        self._complaints(e, d, td)
        self._machine_opens(e, d, td)
        self._readers(e, d, td)
        self._scanners(e, d, td)

    def _complaints(self, e: int, d: np.ndarray, td: np.ndarray) -> None:
        rng, n = self.rng, len(d)
        rate = self.b.unsubscribe
        if EMAILS[e].id == self.effects.unsubscribe_issue:
            rate *= self.effects.unsubscribe_factor  # planted effect (2)
        for type_, p in (("email_unsubscribe", rate), ("email_spam_report", self.b.spam_report)):
            hit = rng.random(n) < p
            at = td[hit] + lognormal(rng, 3 * HOUR, 1.0, int(hit.sum()))
            self.ev.add(d[hit], type_, at, email=e)
            self.suppressed[d[hit]] = np.minimum(self.suppressed[d[hit]], at)

    def _machine_opens(self, e: int, d: np.ndarray, td: np.ndarray) -> None:
        rng, pop, n = self.rng, self.pop, len(d)
        mpp = (pop.client[d] == APPLE) & (rng.random(n) < self.b.mpp_open)
        at = td[mpp] + lognormal(rng, 90 * US, 0.9, int(mpp.sum()))
        ip = clients.in_network(rng, clients.APPLE_RELAY, len(at))
        self.ev.add(d[mpp], "email_open", at, email=e, ua=clients.UA_MPP, ip=ip, truth=MPP)
        pre = (pop.client[d] == GMAIL) & (rng.random(n) < self.b.gmail_prefetch)
        at = td[pre] + uniform(rng, 3 * US, 120 * US, int(pre.sum()))
        ip = clients.in_network(rng, clients.GOOGLE_PROXY, len(at))
        ua = clients.UA_GMAIL_PROXY
        self.ev.add(d[pre], "email_open", at, email=e, ua=ua, ip=ip, truth=GMAIL_PREFETCH)

    def _readers(self, e: int, d: np.ndarray, td: np.ndarray) -> None:
        rng, pop, n, eng = self.rng, self.pop, len(d), EMAILS[e].engagement
        read = rng.random(n) < np.minimum(pop.p_read[d] * eng, 0.95)
        at_once = rng.random(n) < self.b.read_at_once  # someone watching their inbox
        tr = td + np.where(
            at_once, lognormal(rng, 90 * US, 0.8, n), lognormal(rng, 3 * HOUR, 1.6, n)
        )
        # Apple readers' own opens are hidden behind MPP's prefetch; some others block images.
        seen = read & (pop.client[d] != APPLE) & (rng.random(n) >= self.b.image_blocking)
        self._human_opens(e, d[seen], tr[seen])
        click = read & (rng.random(n) < np.minimum(pop.p_click[d] * eng, 0.9))
        tc = tr + lognormal(rng, 45 * US, 1.0, n)
        self._human_clicks(e, d[click], tc[click])
        again = click & (rng.random(n) < 0.2)
        self._human_clicks(
            e, d[again], tc[again] + lognormal(rng, 2 * MINUTE, 1.0, int(again.sum()))
        )
        if e == WEBINAR:
            self.invite.recipient.append(d)
            self.invite.delivered.append(td)
            self.invite.clicker.append(d[click])
            self.invite.clicked.append(tc[click])

    def _human_opens(self, e: int, who: np.ndarray, at: np.ndarray) -> None:
        rng, pop = self.rng, self.pop
        repeat = rng.poisson(0.3, len(who))
        extra = np.repeat(np.arange(len(who)), repeat)
        who = np.concatenate([who, who[extra]])
        at = np.concatenate([at, at[extra] + lognormal(rng, 20 * HOUR, 1.2, len(extra))])
        gmail = pop.client[who] == GMAIL
        ua = np.where(gmail, clients.UA_GMAIL_PROXY, pop.mail_ua[who])
        proxy_ip = clients.in_network(rng, clients.GOOGLE_PROXY, len(who))
        ip = np.where(gmail, proxy_ip, pop.home_ip[who])
        self.ev.add(who, "email_open", at, email=e, ua=ua, ip=ip, truth=HUMAN)

    def _human_clicks(self, e: int, who: np.ndarray, at: np.ndarray) -> None:
        link = self.rng.choice(HUMAN_LINKS[e], len(who), p=HUMAN_WEIGHTS[e])
        ua, ip = self.pop.browser_ua[who], self.pop.home_ip[who]
        self.ev.add(who, "email_click", at, email=e, link=link, ua=ua, ip=ip, truth=HUMAN)

    def _scanners(self, e: int, d: np.ndarray, td: np.ndarray) -> None:
        rng, b = self.rng, self.b
        vendor = self.pop.scanner[d]
        run = (vendor >= 0) & (rng.random(len(d)) < b.scanner_run)
        who, td, vendor = d[run], td[run], vendor[run]
        n = len(who)
        late = rng.random(n) < b.scanner_late
        base = td + np.where(
            late, uniform(rng, 1 * HOUR, 8 * HOUR, n), uniform(rng, 1 * US, 20 * US, n)
        )
        head = rng.random(n) < b.scanner_head
        ip = clients.SCANNER_BASE[vendor] + rng.integers(0, clients.SCANNER_SIZE[vendor])
        ua = clients.SCANNER_UA[vendor]
        links = EMAIL_LINKS[e]
        r = np.repeat(np.arange(n), len(links))
        link = np.tile(links, n)
        skip = rng.random(n) < b.scanner_skip_hidden  # follows visible links only
        keep = ~(skip[r] & np.isin(link, HONEYPOTS))
        r, link = r[keep], link[keep]
        at = base[r] + uniform(rng, 0, 3 * US, len(r))
        self.ev.add(
            who[r],
            "email_click",
            at,
            email=e,
            link=link,
            ua=ua[r],
            ip=ip[r],
            head=head[r],
            truth=SCANNER,
        )
        pixel = rng.random(n) < b.scanner_pixel
        at = base[pixel] + uniform(rng, 0, 1 * US, int(pixel.sum()))
        self.ev.add(
            who[pixel], "email_open", at, email=e, ua=ua[pixel], ip=ip[pixel], truth=SCANNER
        )
