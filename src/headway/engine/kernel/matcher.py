"""Per-contact sequence matching (docs/semantics.md) as one numba kernel over NumPy arrays.

Rows arrive in any order. A counting pass over the dense contact keys groups them in linear
time, then each contact's rows are sorted by (ts, row). Per contact the kernel builds small
position lists (rows matching each stage, each exclusion, any exclusion, exit) so every lookup
inside an attempt is a binary search instead of a scan: an attempt costs O(stages * log rows),
which keeps contacts with thousands of entries linear-ish. See docs/semantics.md for the rules
and for why the greedy per-attempt search below is exact.

The input is read where it lies: ``match_chunks`` takes the chunks of DuckDB's Arrow answer
as NumPy views (``Chunk``), and the first grouping pass scatters them straight into the
grouped columns, so nothing is concatenated or converted first. Two shortcuts in ordered
mode keep the common contact cheap: a contact with no two rows at one instant takes each
stage by one binary search (``_untied_attempt``, no matching), and once an attempt stops for
want of a later activity (not for its window) no entry at a later instant can change the
best attempt, so the remaining entries are skipped. The per-contact functions are inlined
into the loop over contacts (numba passes the scratch tuple by value to a called function).
"""

from __future__ import annotations

import os
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
from numba import njit

from headway.engine.kernel.match_types import NOT_REACHED, MatchResult, MatchSpec, empty_result

ORDERED, STRICT, UNORDERED = 0, 1, 2
MODE_CODES = {"ordered": ORDERED, "strict": STRICT, "unordered": UNORDERED}
INT64_MIN = NOT_REACHED

# per-thread work arrays of the kernel (one allocation per batch, not per contact)
_Scratch = namedtuple(
    "_Scratch",
    "fixed act_of stage_of stage_of_u vis src queue stage_t stage_act best_t best_act best_entry"
    " ext reach good inst stage_count mark owner counters",
)


# --- grouping -----------------------------------------------------------------------------


def group_rows(chunks, stage_bits, excl_bits):  # type: ignore[no-untyped-def]
    """Rows grouped by contact in row order (each group is sorted by (ts, row) later, in
    the parallel part): (keys, bounds, ROW, T, SM, EM, EX). Group c is rows
    bounds[c]..bounds[c+1] of the grouped columns; ROW maps them back to input rows (chunk
    after chunk). ``chunks`` are ``Chunk`` views of the input, read where they lie (no
    concatenation). Two counting passes (radix by the high bits of the key into cache-sized
    buckets, then by the key inside each bucket) keep every scatter local; a single pass over
    1M contacts writes to random places and is twice as slow."""
    low = min(int(c.contact.min()) for c in chunks)  # arrays span the batch's keys only
    top = max(int(c.contact.max()) for c in chunks) - low
    n = sum(len(c.contact) for c in chunks)
    shift = 0
    while (top >> shift) + 1 > max(n // 65536, 1):  # ~64K rows (~2 MB) per bucket on average
        shift += 1
    starts = np.zeros(top + 2, np.int64)
    bucket_starts = np.zeros((top >> shift) + 2, np.int64)
    for c in chunks:
        _histograms(c.contact, low, shift, starts, bucket_starts)
    np.cumsum(starts, out=starts)
    np.cumsum(bucket_starts, out=bucket_starts)
    fill = bucket_starts[:-1].copy()
    K = np.empty(n, np.int64)
    R1 = np.empty(n, np.int64)
    T1 = np.empty(n, np.int64)
    SM1 = np.empty(n, np.uint64)
    EM1 = np.empty(n, np.uint64)
    EX1 = np.empty(n, np.bool_)
    row = 0
    for c in chunks:
        _bucket_pass(
            c.contact,
            c.ts,
            c.stage_mask,
            c.excl_mask,
            c.exit,
            c.exit_bit,
            stage_bits,
            excl_bits,
            shift,
            low,
            row,
            fill,
            K,
            R1,
            T1,
            SM1,
            EM1,
            EX1,
        )
        row += len(c.contact)
    ROW, T, SM, EM, EX = _key_pass(K, R1, T1, SM1, EM1, EX1, starts)
    del K, R1, T1, SM1, EM1, EX1  # free pass 1 before the matching allocates
    keys, bounds = _contact_bounds(starts, low)
    return keys, bounds, ROW, T, SM, EM, EX


class Chunk(NamedTuple):
    """One chunk of matcher input, as NumPy views (of Arrow buffers: nothing copied).

    ``exit`` is bytes: one per row (``exit_bit`` -1), or Arrow's bit-packed booleans with the
    chunk's first row at bit ``exit_bit``."""

    contact: np.ndarray  # int64
    ts: np.ndarray  # int64 microseconds
    stage_mask: np.ndarray  # int64 or uint64
    excl_mask: np.ndarray  # int64 or uint64
    exit: np.ndarray  # uint8
    exit_bit: int


@njit(cache=True, nogil=True)
def _histograms(contact, low, shift, starts, bucket_starts):  # pragma: no cover - compiled
    """Count a chunk's rows per key - low (at starts[k + 1]) and per bucket."""
    for r in range(contact.shape[0]):
        k = contact[r] - low
        starts[k + 1] += 1
        bucket_starts[(k >> shift) + 1] += 1


@njit(cache=True, nogil=True)
def _bucket_pass(
    contact, ts, sm, em, ex, ex_bit, sm_bits, em_bits, shift, low, row, fill, K, ROW, T, SM, EM, EX
):  # pragma: no cover
    """Pass 1 for one chunk: every column scattered by key bucket, row order kept inside a
    bucket; mask bits beyond the journey's stages / exclusions are dropped; K holds key - low.
    """
    for r in range(contact.shape[0]):
        k = contact[r] - low
        b = k >> shift
        i = fill[b]
        fill[b] = i + 1
        K[i], ROW[i], T[i] = k, row + r, ts[r]
        SM[i] = np.uint64(sm[r]) & sm_bits
        EM[i] = np.uint64(em[r]) & em_bits
        if ex_bit < 0:
            EX[i] = ex[r] != 0
        else:
            bit = ex_bit + r
            EX[i] = (ex[bit >> 3] >> (bit & 7)) & 1 != 0


@njit(cache=True, nogil=True)
def _key_pass(K, ROW1, T1, SM1, EM1, EX1, starts):  # pragma: no cover - compiled
    """Pass 2: every column scattered by key; stays inside one bucket's output range."""
    n = K.shape[0]
    fill = starts[:-1].copy()
    ROW = np.empty(n, np.int64)
    T = np.empty(n, np.int64)
    SM = np.empty(n, np.uint64)
    EM = np.empty(n, np.uint64)
    EX = np.empty(n, np.bool_)
    for i in range(n):
        j = fill[K[i]]
        fill[K[i]] = j + 1
        ROW[j], T[j], SM[j], EM[j], EX[j] = ROW1[i], T1[i], SM1[i], EM1[i], EX1[i]
    return ROW, T, SM, EM, EX


@njit(cache=True, nogil=True)
def _contact_bounds(starts, low):  # pragma: no cover - compiled
    """Keys that have rows, and their row bounds."""
    top = starts.shape[0] - 2
    n_contacts = 0
    for k in range(top + 1):
        n_contacts += starts[k + 1] > starts[k]
    keys = np.empty(n_contacts, np.int64)
    bounds = np.empty(n_contacts + 1, np.int64)
    c = 0
    for k in range(top + 1):
        if starts[k + 1] > starts[k]:
            keys[c] = k + low
            bounds[c] = starts[k]
            c += 1
    bounds[n_contacts] = starts[top + 1]
    return keys, bounds


@njit(cache=True, nogil=True)
def _sort_group(lo, hi, ROW, T, SM, EM, EX):  # pragma: no cover - compiled
    """Stable sort of rows lo..hi-1 by T (insertion sort when small, merge sort otherwise)."""
    if hi - lo > 32:
        perm = lo + np.argsort(T[lo:hi], kind="mergesort")
        ROW[lo:hi], T[lo:hi], SM[lo:hi] = ROW[perm], T[perm], SM[perm]
        EM[lo:hi], EX[lo:hi] = EM[perm], EX[perm]
        return
    for i in range(lo + 1, hi):
        if T[i - 1] <= T[i]:
            continue
        row, t, sm, em, ex = ROW[i], T[i], SM[i], EM[i], EX[i]
        j = i - 1
        while j >= lo and T[j] > t:
            ROW[j + 1], T[j + 1], SM[j + 1], EM[j + 1], EX[j + 1] = (
                ROW[j],
                T[j],
                SM[j],
                EM[j],
                EX[j],
            )
            j -= 1
        ROW[j + 1], T[j + 1], SM[j + 1], EM[j + 1], EX[j + 1] = row, t, sm, em, ex


# --- per-contact position lists -----------------------------------------------------------


@njit(cache=True, nogil=True)
def _build_lists(lo, hi, SM, EM, EX, n_stages, n_excl, has_exit, off, pos):  # pragma: no cover
    """Fill position lists (local positions, ascending): one per stage, per exclusion, any
    exclusion, exit. List i is pos[off[i]:off[i+1]]."""
    n_lists = n_stages + n_excl + 2
    for i in range(n_lists + 1):
        off[i] = 0
    for g in range(lo, hi):
        _count_row(SM[g], EM[g], EX[g], n_stages, n_excl, has_exit, off)
    running = 0
    for i in range(n_lists):  # off[i + 1] becomes the fill cursor of list i, starting at its start
        count = off[i + 1]
        off[i + 1] = running
        running += count
    for g in range(lo, hi):
        p = g - lo
        for k in range(n_stages):
            if SM[g] >> np.uint64(k) & np.uint64(1):
                pos[off[k + 1]] = p
                off[k + 1] += 1
        for e in range(n_excl):
            if EM[g] >> np.uint64(e) & np.uint64(1):
                pos[off[n_stages + e + 1]] = p
                off[n_stages + e + 1] += 1
        if _any_excl(EM[g], n_excl):
            pos[off[n_stages + n_excl + 1]] = p
            off[n_stages + n_excl + 1] += 1
        if has_exit and EX[g]:
            pos[off[n_lists]] = p
            off[n_lists] += 1


@njit(cache=True, nogil=True, inline="always")
def _count_row(sm, em, ex, n_stages, n_excl, has_exit, off):  # pragma: no cover - compiled
    """Add one row's memberships to the list sizes (size of list i goes to off[i + 1])."""
    for k in range(n_stages):
        if sm >> np.uint64(k) & np.uint64(1):
            off[k + 1] += 1
    for e in range(n_excl):
        if em >> np.uint64(e) & np.uint64(1):
            off[n_stages + e + 1] += 1
    if _any_excl(em, n_excl):
        off[n_stages + n_excl + 1] += 1
    if has_exit and ex:
        off[n_stages + n_excl + 2] += 1


@njit(cache=True, nogil=True, inline="always")
def _any_excl(em, n_excl):  # pragma: no cover - compiled
    """Whether the row matches any of the first n_excl exclusions."""
    if n_excl >= 64:
        return em != np.uint64(0)
    return (em & ((np.uint64(1) << np.uint64(n_excl)) - np.uint64(1))) != np.uint64(0)


@njit(cache=True, nogil=True, inline="always")
def _first_pos_at_least(pos, a, b, p):  # pragma: no cover - compiled
    """Index in [a, b) of the first list position >= p (b when none)."""
    while a < b:
        m = (a + b) >> 1
        if pos[m] < p:
            a = m + 1
        else:
            b = m
    return a


@njit(cache=True, nogil=True, inline="always")
def _first_ts_after(pos, a, b, T, lo, t):  # pragma: no cover - compiled
    """Index in [a, b) of the first listed row with ts > t (b when none)."""
    while a < b:
        m = (a + b) >> 1
        if T[lo + pos[m]] <= t:
            a = m + 1
        else:
            b = m
    return a


@njit(cache=True, nogil=True, inline="always")
def _listed_between(pos, off, li, T, lo, start, end, inclusive_end):  # pragma: no cover
    """Whether list li has a row with start < ts < end (or <= end when inclusive_end)."""
    i = _first_ts_after(pos, off[li], off[li + 1], T, lo, start)
    if i == off[li + 1]:
        return False
    t = T[lo + pos[i]]
    return t <= end if inclusive_end else t < end


# --- ordered and strict attempts ----------------------------------------------------------


@njit(cache=True, nogil=True, inline="always")
def _open_group(q, gstart, gend, s):  # pragma: no cover - compiled
    """Start a fresh matching in q's tie group (bumping the epoch forgets the old one in
    O(1), so huge tie groups are not rescanned); returns its bounds."""
    s.counters[0] += 1
    return gstart[q], gend[q]


@njit(cache=True, nogil=True, inline="always")
def _stage_of(i, s):  # pragma: no cover - compiled
    """Stage matched to group-local activity i in the current matching, or -1."""
    return s.stage_of[i] if s.owner[i] == s.counters[0] else -1


@njit(cache=True, nogil=True)
def _augment_stage(k, gs, ge, SM, lo, off, pos, act_of, s):  # pragma: no cover - compiled
    """Match stage k into tie group [gs, ge) on top of the current matching (augmenting path,
    BFS). A stage's candidates are its listed activities inside the group, or only
    s.fixed[j] when the stage is pinned (the entry, or a row chosen by _canonical_rows)."""
    s.counters[1] += 1
    mark, queue = s.counters[1], s.queue
    queue[0] = k
    head, tail, found = 0, 1, -1
    while head < tail and found < 0:
        j = queue[head]
        head += 1
        pinned = s.fixed[j]
        i = 0 if pinned >= 0 else _first_pos_at_least(pos, off[j], off[j + 1], gs)
        i_end = 1 if pinned >= 0 else off[j + 1]
        while i < i_end:
            q = pinned if pinned >= 0 else pos[i]
            i += 1
            if q >= ge:
                break
            if s.mark[q - gs] == mark or not (SM[lo + q] >> np.uint64(j) & np.uint64(1)):
                continue
            s.mark[q - gs] = mark
            s.src[q - gs] = j
            other = _stage_of(q - gs, s)
            if other < 0:
                found = q
                break
            queue[tail] = other
            tail += 1
    if found < 0:
        return False
    q = found
    while True:  # flip the path back to stage k
        j = s.src[q - gs]
        prev = act_of[j] if j != k else -1
        act_of[j] = q
        s.stage_of[q - gs] = j
        s.owner[q - gs] = s.counters[0]
        if j == k:
            return True
        q = prev


@njit(cache=True, nogil=True)
def _ordered_attempt(
    p, lo, T, SM, gstart, gend, off, pos, strictly, n_stages, window, s
):  # pragma: no cover
    """Greedy earliest stage times for the attempt entered at local position p; returns depth.

    Each stage joins the current tie group when a matching of the group's stages to distinct
    activities exists, else opens a new group at the first later activity of that stage.
    Taking the earliest option is exact in ordered mode: a state with stage i earlier (or in
    a smaller group) allows every continuation a later one allows. s.act_of: one activity
    per stage (the final rows are chosen by _canonical_rows)."""
    act_of, stage_t = s.act_of, s.stage_t
    window_end = T[lo + p] + window
    s.counters[2] = 0  # ended by the window (1), or by a stage with no later activity (0)
    s.fixed[0] = p
    gs, ge = _open_group(p, gstart, gend, s)
    _augment_stage(0, gs, ge, SM, lo, off, pos, act_of, s)
    stage_t[0] = T[lo + p]
    k = 1
    while k < n_stages:
        if not strictly[k] and _augment_stage(k, gs, ge, SM, lo, off, pos, act_of, s):
            stage_t[k] = T[lo + gs]
            k += 1
            continue
        i = _first_pos_at_least(pos, off[k], off[k + 1], ge)
        if i == off[k + 1]:
            break
        q = pos[i]
        if T[lo + q] > window_end:
            s.counters[2] = 1
            break
        gs, ge = _open_group(q, gstart, gend, s)
        _augment_stage(k, gs, ge, SM, lo, off, pos, act_of, s)  # takes q (first in list)
        stage_t[k] = T[lo + q]
        k += 1
    return k


@njit(cache=True, nogil=True, inline="always")
def _untied_attempt(
    p, lo, T, off, pos, n_stages, window_end, act_of, stage_t, ended
):  # pragma: no cover
    """_ordered_attempt when every tie group is one row: a stage can never join the group of
    the stage before (its one activity is taken), so each stage is the first activity of its
    list after the previous stage's: one binary search per stage, no matching."""
    act_of[0] = p
    stage_t[0] = T[lo + p]
    ended[2] = 0
    q, k = p, 1
    while k < n_stages:
        i = _first_pos_at_least(pos, off[k], off[k + 1], q + 1)
        if i == off[k + 1]:
            break
        q = pos[i]
        if T[lo + q] > window_end:
            ended[2] = 1
            break
        act_of[k] = q
        stage_t[k] = T[lo + q]
        k += 1
    return k


@njit(cache=True, nogil=True)
def _group_extent(r, q, strictly, n_stages, gstart, gend, SM, lo, off, pos, s):  # pragma: no cover
    """Largest e such that stages r..e-1 all fit in q's tie group (e == r: not even stage r)."""
    gs, ge = _open_group(q, gstart, gend, s)
    for j in range(r, n_stages):
        if j > r and strictly[j]:
            return j
        if not _augment_stage(j, gs, ge, SM, lo, off, pos, s.act_of, s):
            return j
    return n_stages


@njit(cache=True, nogil=True)
def _strict_attempt(
    p, n, lo, T, SM, gstart, gend, off, pos, strictly, n_stages, window, s
):  # pragma: no cover
    """Strict attempt entered at p; returns its depth, fills s.stage_t and s.act_of.

    Every instant of the contact after the entry, up to the last stage reached, must hold a
    stage, so the attempt occupies consecutive instants m = 0, 1, ... (at most n_stages) and
    instant m holds a run of stages r..e-1. Greedy is not exact here (taking stage i at the
    entry instant can leave the next instant without a stage), so: forward pass for the
    reachable (instant, first stage) states and the depth D, backward pass for the states
    that can still reach D, then the earliest times among those."""
    ext, reach, good, inst = s.ext, s.reach, s.good, s.inst
    window_end = T[lo + p] + window
    m_count, q = 0, gstart[p]
    while m_count < n_stages and q < n and T[lo + q] <= window_end:
        inst[m_count] = q
        m_count += 1
        q = gend[q]
    ext[:m_count, :] = -1
    reach[:m_count, :] = False
    s.fixed[0] = p
    ext[0, 0] = _group_extent(0, p, strictly, n_stages, gstart, gend, SM, lo, off, pos, s)
    reach[0, 0] = True
    depth = 1
    for m in range(m_count):
        for r in range(n_stages):
            if not reach[m, r]:
                continue
            depth = max(depth, ext[m, r])
            for j in range(r + 1, min(ext[m, r], n_stages - 1) + 1):
                if m + 1 < m_count and not reach[m + 1, j]:
                    if ext[m + 1, j] < 0:
                        ext[m + 1, j] = _group_extent(
                            j, inst[m + 1], strictly, n_stages, gstart, gend, SM, lo, off, pos, s
                        )
                    reach[m + 1, j] = ext[m + 1, j] > j
    for m in range(m_count - 1, -1, -1):
        for r in range(n_stages):
            good[m, r] = reach[m, r] and _can_close(m, r, r + 1, depth, m_count, ext, reach, good)
    m, r = 0, 0
    s.stage_t[0] = T[lo + p]
    s.act_of[0] = p
    for j in range(1, depth):
        if not _can_close(m, r, j + 1, depth, m_count, ext, reach, good):
            m, r = m + 1, j  # stage j cannot stay at instant m: it opens the next instant
        s.stage_t[j] = T[lo + inst[m]]
        s.act_of[j] = inst[m]
    return depth


@njit(cache=True, nogil=True)
def _can_close(m, r, j, depth, m_count, ext, reach, good):  # pragma: no cover - compiled
    """Whether instant m's run of stages r.. can end at some e >= j (e <= ext[m, r]) so that
    the attempt still reaches `depth`: e == depth, or the next instant can start at stage e."""
    for e in range(j, ext[m, r] + 1):
        if e >= depth:
            return True
        if m + 1 < m_count and reach[m + 1, e] and good[m + 1, e]:
            return True
    return False


@njit(cache=True, nogil=True, inline="always")
def _ordered_void(
    depth, stage_t, window_end, excl_from, excl_to, n_stages, off, pos, T, lo
):  # pragma: no cover
    """§5: excluded activity strictly between `from` and `to` (or after `from` in the window)."""
    for e in range(excl_from.shape[0]):
        a, b = excl_from[e], excl_to[e]
        if depth <= a:
            continue
        li = n_stages + e
        if depth > b:
            if _listed_between(pos, off, li, T, lo, stage_t[a], stage_t[b], False):
                return True
        elif _listed_between(pos, off, li, T, lo, stage_t[a], window_end, True):
            return True
    return False


@njit(cache=True, nogil=True, inline="always")
def _canonical_rows(depth, entry, gstart, gend, SM, lo, off, pos, s):  # pragma: no cover
    """Within each tie group of the best attempt (s.best_t, s.best_act), give each stage, in
    stage order, the lowest-row activity that still leaves a full matching for the group's
    later stages; the chosen rows go to s.best_act."""
    a = 0
    while a < depth:
        b = a
        while b + 1 < depth and s.best_t[b + 1] == s.best_t[a]:
            b += 1
        gs, ge = gstart[s.best_act[a]], gend[s.best_act[a]]
        if a == b:  # one stage at this instant: its lowest row (the entry for stage 1)
            first = _first_pos_at_least(pos, off[a], off[a + 1], gs)
            s.best_act[a] = entry if a == 0 else pos[first]
            a += 1
            continue
        if a == 0:
            s.fixed[0] = entry
        for j in range(a + 1 if a == 0 else a, b + 1):
            i = _first_pos_at_least(pos, off[j], off[j + 1], gs)
            while i < off[j + 1] and pos[i] < ge:
                s.fixed[j] = pos[i]
                if _group_matches(a, b, gs, ge, SM, lo, off, pos, s):
                    break
                i += 1
        for j in range(a, b + 1):
            s.best_act[j] = s.fixed[j]
            s.fixed[j] = -1
        a = b + 1


@njit(cache=True, nogil=True)
def _group_matches(a, b, gs, ge, SM, lo, off, pos, s):  # pragma: no cover - compiled
    """Whether stages a..b (those pinned by s.fixed, and the rest) match distinct activities
    of the tie group [gs, ge); stages after the one being chosen are still unpinned."""
    s.counters[0] += 1
    for j in range(a, b + 1):  # noqa: SIM110 - numba compiles loops, not generator expressions
        if not _augment_stage(j, gs, ge, SM, lo, off, pos, s.act_of, s):
            return False
    return True


@njit(cache=True, nogil=True, inline="always")
def _ordered_contact(
    n, lo, T, SM, gstart, gend, off, pos, strictly, n_stages, window, strict, excl_from, excl_to, s
):  # pragma: no cover - compiled
    """Best attempt of one contact (ordered / strict). Returns (depth, removed)."""
    best_depth, have_clean = 0, False
    act_of, stage_t, counters = s.act_of, s.stage_t, s.counters
    untied = counters[3] != 0  # no two rows of the contact share an instant
    cut_t = INT64_MIN  # no entry later than this instant can change the best attempt
    cut = False
    for i in range(off[0], off[1]):  # entries: every activity matching stage 1, in (ts, row) order
        p = pos[i]
        if cut and T[lo + p] > cut_t:
            break
        if strict:
            d = _strict_attempt(
                p, n, lo, T, SM, gstart, gend, off, pos, strictly, n_stages, window, s
            )
        elif untied:
            d = _untied_attempt(
                p, lo, T, off, pos, n_stages, T[lo + p] + window, act_of, stage_t, counters
            )
        else:
            d = _ordered_attempt(
                p, lo, T, SM, gstart, gend, off, pos, strictly, n_stages, window, s
            )
        if d > best_depth:
            best_depth, have_clean = d, False
        if (
            d == best_depth
            and not have_clean
            and not _ordered_void(
                d, s.stage_t, T[lo + p] + window, excl_from, excl_to, n_stages, off, pos, T, lo
            )
        ):
            have_clean = True
            s.best_entry[0] = p
            s.best_t[:d] = s.stage_t[:d]
            s.best_act[:d] = s.act_of[:d]
        if have_clean and best_depth == n_stages:
            break  # later attempts can neither go further nor be earlier
        if not strict and not cut and s.counters[2] == 0 and (have_clean or d < best_depth):
            # This attempt stopped for want of a later activity, not for its window: an entry
            # at a later instant reaches no deeper (its greedy stages are no earlier), so it
            # can neither beat the clean best nor reach the void best's depth. Entries at
            # this same instant still run (another row of the tie group may go further).
            cut, cut_t = True, T[lo + p]
        s.fixed[0] = -1
    s.fixed[0] = -1
    if best_depth == 0:
        return 0, False
    if not have_clean:
        return 0, True
    _canonical_rows(best_depth, s.best_entry[0], gstart, gend, SM, lo, off, pos, s)
    return best_depth, False


# --- unordered attempts -------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _augment_activity(q, lo, SM, n_stages, act_of, stage_of, vis, src, queue):  # pragma: no cover
    """Add activity q to the stage matching if an augmenting path exists (BFS over stages)."""
    for j in range(n_stages):
        vis[j] = False
    queue[0] = q
    head, tail, found = 0, 1, -1
    while head < tail and found < 0:
        a = queue[head]
        head += 1
        m = SM[lo + a]
        for j in range(n_stages):
            if vis[j] or not (m >> np.uint64(j) & np.uint64(1)):
                continue
            vis[j] = True
            src[j] = a
            if act_of[j] < 0:
                found = j
                break
            queue[tail] = act_of[j]
            tail += 1
    if found < 0:
        return False
    j = found
    while True:  # flip the path back to activity q; matched activities stay matched
        a = src[j]
        prev = stage_of[a]
        act_of[j] = a
        stage_of[a] = j
        if a == q:
            return True
        j = prev


@njit(cache=True, nogil=True)
def _unordered_attempt(p, n, lo, T, SM, gstart, n_stages, scan_end, s):  # pragma: no cover
    """Attempt entered at p: the activities (entry first, then the others from p's instant on,
    by (ts, row)) that raise the number of distinct stages completed, among rows with
    ts <= scan_end; fills s.stage_t / s.stage_act and returns that number."""
    act_of, stage_of = s.act_of, s.stage_of_u
    for j in range(n_stages):
        act_of[j] = -1
    count = 0
    q = p
    nxt = gstart[p]
    while count < n_stages:
        if SM[lo + q] != np.uint64(0) and _augment_activity(
            q, lo, SM, n_stages, act_of, stage_of, s.vis, s.src, s.queue
        ):
            s.stage_t[count] = T[lo + q]
            s.stage_act[count] = q
            count += 1
        if nxt == p:
            nxt += 1
        if nxt >= n or T[lo + nxt] > scan_end:
            break
        q = nxt
        nxt += 1
    for j in range(n_stages):  # reset only what this attempt touched
        if act_of[j] >= 0:
            stage_of[act_of[j]] = -1
    return count


@njit(cache=True, nogil=True, inline="always")
def _slide(q, SM, lo, n_stages, counts, step):  # pragma: no cover - compiled
    """Add (step 1) or remove (step -1) row q's stages from the window's per-stage counts;
    returns the change in the number of stages present."""
    change = 0
    m = SM[lo + q]
    for j in range(n_stages):
        if m >> np.uint64(j) & np.uint64(1):
            counts[j] += step
            if step > 0 and counts[j] == 1:
                change += 1
            elif step < 0 and counts[j] == 0:
                change -= 1
    return change


@njit(cache=True, nogil=True)
def _unordered_contact(
    n, lo, T, SM, gstart, off, pos, n_stages, window, any_list, s
):  # pragma: no cover
    """Best clean attempt of one contact (unordered). Returns (depth, removed).

    Three cuts keep this near linear: an attempt whose window holds no more distinct stages
    than the best clean depth so far is skipped (it cannot go further); an attempt stops
    scanning at the first excluded activity after its entry (past it, only a conversion
    before it could have kept the attempt clean); and once an attempt's window reaches the
    contact's last activity, later attempts (subsets of it) cannot beat a best that is at
    least as deep."""
    best_depth, had_attempt = -1, False
    last_t = T[lo + n - 1]
    counts = s.stage_count
    counts[:] = 0
    present, head, tail = 0, 0, 0  # rows head..tail-1 are p's window: gstart[p] .. te + window
    for p in range(n):
        te = T[lo + p]
        while tail < n and T[lo + tail] <= te + window:
            present += _slide(tail, SM, lo, n_stages, counts, 1)
            tail += 1
        while head < gstart[p]:
            present += _slide(head, SM, lo, n_stages, counts, -1)
            head += 1
        if SM[lo + p] == np.uint64(0):
            continue
        had_attempt = True
        if present <= best_depth:
            continue
        i = _first_ts_after(pos, off[any_list], off[any_list + 1], T, lo, te)
        excluded_at = T[lo + pos[i]] if i < off[any_list + 1] else te + window + 1
        d = _unordered_attempt(p, n, lo, T, SM, gstart, n_stages, min(te + window, excluded_at), s)
        # a conversion at or before the first exclusion is clean; anything else meets it
        void = d < n_stages and excluded_at <= te + window
        if d > best_depth and not void:
            best_depth = d
            s.best_t[:d] = s.stage_t[:d]
            s.best_act[:d] = s.stage_act[:d]
        if best_depth == n_stages:
            break
        if not void and te + window >= last_t and best_depth >= d:
            break  # every later attempt sees a subset of this (fully scanned) one's activities
    if best_depth < 0:
        return 0, had_attempt
    return best_depth, False


# --- driver -------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _max_sizes(bounds, SM, EM, EX, n_stages, n_excl, has_exit):  # pragma: no cover - compiled
    """Largest contact (rows) and largest total size of its position lists."""
    n_lists = n_stages + n_excl + 2
    off = np.zeros(n_lists + 1, np.int64)
    max_rows, max_total = 1, 1
    for c in range(bounds.shape[0] - 1):
        lo, hi = bounds[c], bounds[c + 1]
        max_rows = max(max_rows, hi - lo)
        off[:] = 0
        for g in range(lo, hi):
            _count_row(SM[g], EM[g], EX[g], n_stages, n_excl, has_exit, off)
        max_total = max(max_total, off.sum())
    return max_rows, max_total


@njit(cache=True, nogil=True)
def _tie_groups(lo, n, T, gstart, gend):  # pragma: no cover - compiled
    """For each local position, the bounds [gstart, gend) of its equal-timestamp group;
    returns whether every group is a single row."""
    untied = True
    for i in range(n):
        if i == 0 or T[lo + i] != T[lo + i - 1]:
            gstart[i] = i
        else:
            gstart[i] = gstart[i - 1]
            untied = False
    for i in range(n - 1, -1, -1):
        gend[i] = i + 1 if i == n - 1 or T[lo + i] != T[lo + i + 1] else gend[i + 1]
    return untied


@njit(cache=True, nogil=True)
def _match_range(
    c0,
    c1,
    bounds,
    ROW,
    T,
    SM,
    EM,
    EX,
    mode,
    strictly,
    n_stages,
    window,
    excl_from,
    excl_to,
    has_exit,
    max_rows,
    max_total,
    reached,
    removed,
    stage_ts,
    stage_row,
    exit_ts,
):  # pragma: no cover
    """Match contacts c0..c1-1 and write their outputs."""
    n_excl = excl_from.shape[0]
    s = _Scratch(
        fixed=np.full(n_stages, -1, np.int64),
        act_of=np.full(n_stages, -1, np.int64),
        stage_of=np.full(max_rows, -1, np.int64),
        stage_of_u=np.full(max_rows, -1, np.int64),
        vis=np.zeros(max(max_rows, n_stages), np.bool_),
        src=np.zeros(max(max_rows, n_stages), np.int64),
        queue=np.zeros(n_stages + 1, np.int64),
        stage_t=np.zeros(n_stages, np.int64),
        stage_act=np.zeros(n_stages, np.int64),
        best_t=np.zeros(n_stages, np.int64),
        best_act=np.zeros(n_stages, np.int64),
        best_entry=np.zeros(1, np.int64),
        ext=np.zeros((n_stages, n_stages), np.int64),
        reach=np.zeros((n_stages, n_stages), np.bool_),
        good=np.zeros((n_stages, n_stages), np.bool_),
        inst=np.zeros(n_stages, np.int64),
        stage_count=np.zeros(n_stages, np.int64),
        mark=np.zeros(max_rows, np.int64),
        owner=np.zeros(max_rows, np.int64),
        counters=np.ones(4, np.int64),  # matching epoch, BFS mark, ended by window, untied
    )
    off = np.zeros(n_stages + n_excl + 3, np.int64)
    pos = np.zeros(max_total, np.int64)
    gstart = np.zeros(max_rows, np.int64)
    gend = np.zeros(max_rows, np.int64)
    for c in range(c0, c1):
        lo, hi = bounds[c], bounds[c + 1]
        n = hi - lo
        _sort_group(lo, hi, ROW, T, SM, EM, EX)
        _build_lists(lo, hi, SM, EM, EX, n_stages, n_excl, has_exit, off, pos)
        s.counters[3] = _tie_groups(lo, n, T, gstart, gend)
        if mode == UNORDERED:
            depth, gone = _unordered_contact(
                n, lo, T, SM, gstart, off, pos, n_stages, window, n_stages + n_excl, s
            )
        else:
            depth, gone = _ordered_contact(
                n,
                lo,
                T,
                SM,
                gstart,
                gend,
                off,
                pos,
                strictly,
                n_stages,
                window,
                mode == STRICT,
                excl_from,
                excl_to,
                s,
            )
        reached[c] = depth
        removed[c] = gone
        for k in range(depth):
            stage_ts[c, k] = s.best_t[k]
            stage_row[c, k] = ROW[lo + s.best_act[k]]
        if depth > 0 and has_exit:
            li = n_stages + n_excl + 1
            i = _first_ts_after(pos, off[li], off[li + 1], T, lo, s.best_t[depth - 1])
            if i < off[li + 1]:
                exit_ts[c] = T[lo + pos[i]]


# --- Python entry points ------------------------------------------------------------------


def match(
    spec: MatchSpec,
    contact: np.ndarray,
    ts: np.ndarray,
    stage_mask: np.ndarray,
    excl_mask: np.ndarray,
    exit: np.ndarray,
    threads: int | None = None,
) -> MatchResult:
    """Match every contact's activities (rows in any order) against the journey `spec`."""
    chunk = Chunk(
        np.ascontiguousarray(contact, dtype=np.int64),
        np.ascontiguousarray(ts, dtype=np.int64),
        np.ascontiguousarray(stage_mask, dtype=np.uint64),
        np.ascontiguousarray(excl_mask, dtype=np.uint64),
        np.ascontiguousarray(exit, dtype=np.bool_).view(np.uint8),
        -1,
    )
    return match_chunks(spec, [chunk], threads)


def match_chunks(spec: MatchSpec, chunks: list[Chunk], threads: int | None = None) -> MatchResult:
    """``match`` over the input's chunks as they lie (rows numbered chunk after chunk)."""
    chunks = [c for c in chunks if len(c.contact)]
    for c in chunks:
        n = len(c.contact)
        sizes = (len(c.ts), len(c.stage_mask), len(c.excl_mask))
        exit_ok = len(c.exit) == n if c.exit_bit < 0 else len(c.exit) * 8 >= c.exit_bit + n
        if sizes != (n, n, n) or not exit_ok:
            raise ValueError("match: every input array needs one entry per row")
    if not chunks:
        return empty_result(spec.n_stages)
    if min(int(c.contact.min()) for c in chunks) < 0:
        raise ValueError("match: contact keys must be non-negative")
    stage_bits, excl_bits = low_bits(spec.n_stages), low_bits(len(spec.exclusions))
    keys, bounds, ROW, T, SM, EM, EX = group_rows(chunks, stage_bits, excl_bits)
    return _run(spec, keys, bounds, ROW, T, SM, EM, EX, threads)


def low_bits(n: int) -> np.uint64:
    """A uint64 with the n lowest bits set."""
    return np.uint64((1 << n) - 1)


def _run(spec, keys, bounds, ROW, T, SM, EM, EX, threads) -> MatchResult:  # type: ignore[no-untyped-def]
    """Run the kernel over contact ranges of similar row counts, one thread each (nogil)."""
    n_contacts, n_stages = len(keys), spec.n_stages
    excl_from = np.array([a for a, _ in spec.exclusions], np.int64)
    excl_to = np.array([b for _, b in spec.exclusions], np.int64)
    max_rows = max(int(np.diff(bounds).max()), 1)
    max_total = max_rows * (n_stages + len(excl_from) + 2)  # every row in every list, at most
    if max_total > 1 << 20:  # a huge contact: size the position lists exactly instead
        max_rows, max_total = _max_sizes(
            bounds, SM, EM, EX, n_stages, len(excl_from), spec.has_exit
        )
    out = MatchResult(
        contact=keys,
        reached=np.zeros(n_contacts, np.int16),
        removed=np.zeros(n_contacts, np.bool_),
        stage_ts=np.full((n_contacts, n_stages), NOT_REACHED, np.int64),
        stage_row=np.full((n_contacts, n_stages), -1, np.int64),
        exit_ts=np.full(n_contacts, NOT_REACHED, np.int64),
    )
    strictly = np.array(spec.strictly_later, np.bool_)
    mode = MODE_CODES[spec.mode]

    def work(c0: int, c1: int) -> None:
        _match_range(
            c0,
            c1,
            bounds,
            ROW,
            T,
            SM,
            EM,
            EX,
            mode,
            strictly,
            n_stages,
            spec.window_us,
            excl_from,
            excl_to,
            spec.has_exit,
            max_rows,
            max_total,
            out.reached,
            out.removed,
            out.stage_ts,
            out.stage_row,
            out.exit_ts,
        )

    cuts = _contact_cuts(bounds, threads or os.cpu_count() or 1)
    if len(cuts) == 2:
        work(cuts[0], cuts[1])
    else:
        with ThreadPoolExecutor(len(cuts) - 1) as pool:
            list(pool.map(work, cuts[:-1], cuts[1:]))
    return out


def _contact_cuts(bounds: np.ndarray, parts: int) -> list[int]:
    """Contact indexes splitting the rows into `parts` ranges of similar size."""
    n_contacts = len(bounds) - 1
    if n_contacts < 1000 or parts <= 1:
        return [0, n_contacts]
    targets = np.linspace(0, bounds[-1], parts + 1)[1:-1]
    inner = np.searchsorted(bounds, targets).tolist()
    return sorted({0, n_contacts, *inner})


def warmup() -> None:
    """Compile the kernel (or load it from numba's cache) on a tiny input, for every mode."""
    contact = np.array([0, 0, 0, 1], np.int64)
    ts = np.array([0, 5, 5, 3], np.int64)
    stages = np.array([1, 2, 3, 1], np.uint64)
    excl = np.array([0, 0, 1, 0], np.uint64)
    exit = np.array([False, False, True, False])
    for mode in MODE_CODES:
        spec = MatchSpec(mode, 2, 10, (False, True), ((0, 1),), True)  # type: ignore[arg-type]
        match(spec, contact, ts, stages, excl, exit, threads=1)
    # and the chunk readers for what Arrow hands over: read-only int64 views, packed exits
    views = [a.view(np.int64) for a in (contact, ts, stages, excl)]
    for view in views:
        view.flags.writeable = False
    bits = np.packbits(exit, bitorder="little")
    bits.flags.writeable = False
    match_chunks(spec, [Chunk(views[0], views[1], views[2], views[3], bits, 0)], threads=1)
