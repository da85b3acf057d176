"""Matches kept in the store file, extended by new activities: the match cache's second level.

``MatchCache`` holds matches in memory, so a restarted server would match every journey again
(seconds at 10M activities). For the views a saved match can answer — no segment, no extra
columns, ``as_of`` at or after the latest activity (the default "now"), any date range — the
match of every stored activity is saved (``store/saved_matches.py``) under a digest of its
matcher-input query and match spec, with the data version it is current for. Read again, it is
extended: the contacts whose activities changed since (appends, identity merges and their
undo, undone imports: the store journals them) are matched again over all their activities —
the restricted query live journeys use (``live/state.match_contacts``) — and replace their
rows. A contact's match depends only on its own activities, so the result is exactly what
``match_journey`` gives on the current data. Erasures and bot relabelling clear every saved
match; a journey edit is another key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import duckdb
import numpy as np

from headway.backends.duckdb import DuckDBBackend
from headway.engine.kernel.inputs import match_query
from headway.engine.kernel.match_types import MatchResult
from headway.engine.kernel.run import match_journey, match_spec
from headway.engine.options import ReportOptions
from headway.live.state import LIVE_AS_OF, match_contacts
from headway.live.updater import resolve_keys
from headway.model.journey import Journey
from headway.store import saved_matches
from headway.store.saved_matches import SavedRows, Version

# Beyond this share of the saved contacts touched, matching everything again is cheaper.
REMATCH_SHARE = 0.25


@dataclass
class SavedStats:
    """What the saved matches answered: read as saved, extended (and by how many contacts
    matched again), or matched in full."""

    read: int = 0
    extended: int = 0
    rematched_contacts: int = 0
    matched: int = 0


class SavedMatchStore:
    """Saved matches of one DuckDB store: read, extended and saved again."""

    def __init__(self, backend: DuckDBBackend) -> None:
        self.backend = backend
        self.store = backend.store
        self.stats = SavedStats()

    def usable(self, options: ReportOptions, extras: object) -> bool:
        """Whether a saved match can answer: no segment, no extra columns."""
        return not extras and options.segment is None

    def key(self, journey: Journey, options: ReportOptions) -> str:
        """The saved match's key: a digest of its query (every activity) and match spec."""
        query = match_query(
            journey, self.backend.type_codes(), everything(options), sql=self.backend.sql
        )
        params = sorted((k, type(v).__name__, repr(v)) for k, v in query.params.items())
        text = repr((query.sql(), params, match_spec(journey)))
        return hashlib.sha256(text.encode()).hexdigest()

    def match(self, journey: Journey, options: ReportOptions) -> MatchResult:
        """Every contact's best attempt over every stored activity (in ``options``' date
        range): the saved match extended, or matched now and saved."""
        key = self.key(journey, options)
        start = self._start()
        saved = saved_matches.read(self.store.cursor(), key, len(journey.stages))
        if saved is None:
            return self._match_all(key, journey, options, start)
        keys = saved_matches.touched_since(self.store.cursor(), saved.seq)
        if not len(keys):
            self.stats.read += 1
            return _result(saved.contact, saved)
        keys = np.union1d(resolve_keys(self.store, keys), keys)
        if len(keys) > REMATCH_SHARE * max(len(saved.contact), 1):
            return self._match_all(key, journey, options, start)
        self.stats.extended += 1
        self.stats.rematched_contacts += len(keys)
        fresh = match_contacts(self.backend, journey, keys, everything(options))
        merged = _merge(saved, keys, fresh)
        self._save(key, journey.name, start, _rows(fresh), keys)
        return merged

    def _match_all(
        self, key: str, journey: Journey, options: ReportOptions, start: tuple[int, bool, Version]
    ) -> MatchResult:
        self.stats.matched += 1
        result = match_journey(self.backend, journey, everything(options)).result
        self._save(key, journey.name, start, _rows(result), None)
        return result

    def _start(self) -> tuple[int, bool, Version]:
        # Read before any data: what was journaled after this version is matched next time.
        generation, journaling = self.store.generation, self.store.journaling
        return generation, journaling, saved_matches.version(self.store.cursor())

    def _save(
        self,
        key: str,
        journey: str,
        start: tuple[int, bool, Version],
        rows: SavedRows,
        replace_keys: np.ndarray | None,
    ) -> None:
        generation, journaling, before = start
        if self.store.read_only:
            return  # read, extended in memory, never saved
        stored = self.store.execute(
            "SELECT count(*) FROM journeys WHERE name = ? AND NOT deleted", [journey]
        ).scalar()
        if not stored:
            return  # a journey not in the store (a file, a dict): its match would be pruned

        def write(conn: duckdb.DuckDBPyConnection) -> None:
            now = saved_matches.version(conn)
            if now.epoch != before.epoch:
                return  # cleared meanwhile (an erasure): what was read may be gone
            if not journaling and self.store.generation != generation:
                return  # written meanwhile, unjournaled: the rows may miss it
            saved_matches.save(conn, key, journey, before.seq, rows, replace_keys)
            self.store.journaling = True

        self.store.write(write, derived=True)


def everything(options: ReportOptions) -> ReportOptions:
    """``options`` reading every stored activity (``as_of`` past any)."""
    return replace(options, as_of=LIVE_AS_OF)


def _rows(result: MatchResult) -> SavedRows:
    return SavedRows(
        0, 0, result.contact, result.reached, result.removed, result.stage_ts, result.exit_ts
    )


def _merge(saved: SavedRows, keys: np.ndarray, fresh: MatchResult) -> MatchResult:
    """The saved rows with ``keys``' rows replaced by ``fresh`` (contacts ascending)."""
    keep = ~np.isin(saved.contact, keys)
    contact = np.concatenate([saved.contact[keep], fresh.contact])
    order = np.argsort(contact, kind="stable")
    return _result(
        contact[order],
        SavedRows(
            0,
            0,
            contact,
            np.concatenate([saved.reached[keep], fresh.reached])[order],
            np.concatenate([saved.removed[keep], fresh.removed])[order],
            np.concatenate([saved.stage_ts[keep], fresh.stage_ts])[order],
            np.concatenate([saved.exit_ts[keep], fresh.exit_ts])[order],
        ),
    )


def _result(contact: np.ndarray, rows: SavedRows) -> MatchResult:
    """A match result from saved figures; ``stage_row`` as ``combine`` numbers it (the reached
    stages, contact after contact and stage after stage)."""
    n = rows.stage_ts.shape[1]
    hit = np.arange(n, dtype=np.int64)[None, :] < rows.reached[:, None].astype(np.int64)
    stage_row = np.full((len(contact), n), -1, np.int64)
    stage_row[hit] = np.arange(int(hit.sum()), dtype=np.int64)
    return MatchResult(
        contact=contact,
        reached=rows.reached,
        removed=rows.removed,
        stage_ts=rows.stage_ts,
        stage_row=stage_row,
        exit_ts=rows.exit_ts,
    )
