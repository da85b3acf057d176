"""Statistics of 2×2 tables for drivers and stalls (pure, vectorised over many tables).

A table counts contacts of a population by touchpoint and outcome::

                      advanced   not advanced
    with touchpoint       a           b
    without               c           d

Each argument is an array of shape ``(tables,)`` or ``(tables, strata)``: contacts are
compared within strata (drivers use contact-age strata, see docs/drivers.md) and the strata
are pooled the Mantel–Haenszel way. With one stratum every figure is the textbook one:

- odds ratio ``(a·d)/(b·c)`` with a 95 % Woolf (log) interval
  ``exp(ln OR ± 1.96·√(1/a + 1/b + 1/c + 1/d))``; pooled: ``Σ(ad/n) / Σ(bc/n)`` with the
  Robins–Breslow–Greenland variance (Woolf's for one stratum);
- rate ratio ``(a/(a+b)) / (c/(c+d))`` — how many times as often contacts with the touchpoint
  advanced — with a 95 % Katz (log) interval; pooled: ``Σ(a(c+d)/n) / Σ(c(a+b)/n)`` with the
  Greenland–Robins variance (Katz's for one stratum);
- when the pooled odds ratio would be 0 or infinite (with one stratum: a cell is 0), every
  cell of every stratum gets +0.5 first (Haldane–Anscombe);
- two-sided exact p: Fisher's exact test (``scipy.stats.fisher_exact``) for one stratum; for
  several, the exact conditional test of ``Σa`` given every stratum's margins (the strata's
  hypergeometric distributions convolved; outcomes as likely or less likely than the one
  observed are summed, as in Fisher's test);
- Benjamini–Hochberg q-values (``scipy.stats.false_discovery_control``);
- ``lopsided``: fewer than 10 advanced or 10 not advanced in either group, or an expected
  cell count under 5 (pooled over strata).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# scipy is imported where a test needs it: loading it costs ~0.5 s of every CLI start-up.
Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975), pinned by tests/engine/test_stats.py
MIN_OUTCOMES = 10  # advanced and not advanced per group before the table is trusted
MIN_EXPECTED = 5.0  # expected count per cell under independence
_LIKE = 1 + 1e-7  # relative tolerance for "as likely as observed" (as scipy's Fisher test)
_LOG_SPAN = 700.0  # outcomes less likely than e^-700 × the most likely one are negligible


@dataclass(frozen=True)
class Tables:
    """Many 2×2 tables (one per touchpoint) and their statistics; one entry per table.

    ``a``–``d`` are the counts summed over strata."""

    a: np.ndarray  # with touchpoint, advanced
    b: np.ndarray  # with touchpoint, not advanced
    c: np.ndarray  # without, advanced
    d: np.ndarray  # without, not advanced
    odds_ratio: np.ndarray
    or_low: np.ndarray
    or_high: np.ndarray
    rate_ratio: np.ndarray
    rr_low: np.ndarray
    rr_high: np.ndarray
    p: np.ndarray
    q: np.ndarray
    corrected: np.ndarray  # bool: Haldane–Anscombe +0.5 applied
    lopsided: np.ndarray  # bool


def _cells(*xs: np.ndarray) -> list[np.ndarray]:
    out = [np.asarray(x, np.float64) for x in xs]
    return [x[:, None] if x.ndim == 1 else x for x in out]


def degenerate(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """True for the tables whose pooled odds ratio is 0 or infinite (one stratum: a 0 cell)."""
    fa, fb, fc, fd = _cells(a, b, c, d)
    n = np.maximum(fa + fb + fc + fd, 1)
    return ((fa * fd / n).sum(1) == 0) | ((fb * fc / n).sum(1) == 0)


def corrected_cells(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The cells as floats ``(tables, strata)``, +0.5 in the degenerate tables; and the flag."""
    flag = degenerate(a, b, c, d)
    fa, fb, fc, fd = (np.where(flag[:, None], x + 0.5, x) for x in _cells(a, b, c, d))
    return fa, fb, fc, fd, flag


def odds_ratio(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mantel–Haenszel odds ratio and its 95 % interval (Woolf's for one stratum)."""
    fa, fb, fc, fd, _ = corrected_cells(a, b, c, d)
    n = np.maximum(fa + fb + fc + fd, 1.0)  # empty strata add 0 to every sum
    r, s = fa * fd / n, fb * fc / n
    p_, q_ = (fa + fd) / n, (fb + fc) / n
    big_r, big_s = r.sum(1), s.sum(1)
    var = (p_ * r).sum(1) / (2 * big_r**2)
    var += (p_ * s + q_ * r).sum(1) / (2 * big_r * big_s)
    var += (q_ * s).sum(1) / (2 * big_s**2)
    log_or, se = np.log(big_r / big_s), np.sqrt(var)
    return np.exp(log_or), np.exp(log_or - Z95 * se), np.exp(log_or + Z95 * se)


def rate_ratio(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mantel–Haenszel ratio of advancement rates (with / without), 95 % interval (Katz's
    for one stratum)."""
    fa, fb, fc, fd, _ = corrected_cells(a, b, c, d)
    n = np.maximum(fa + fb + fc + fd, 1.0)  # empty strata add 0 to every sum
    num, den = (fa * (fc + fd) / n).sum(1), (fc * (fa + fb) / n).sum(1)
    cov = (((fa + fb) * (fc + fd) * (fa + fc) - fa * fc * n) / n**2).sum(1)
    log_rr, se = np.log(num / den), np.sqrt(np.maximum(cov / (num * den), 0.0))
    return np.exp(log_rr), np.exp(log_rr - Z95 * se), np.exp(log_rr + Z95 * se)


def exact_p(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Two-sided exact p of each table: Fisher's test, or its stratified (conditional) form."""
    cells = [np.asarray(x, np.int64) for x in _cells(a, b, c, d)]
    out = np.empty(len(cells[0]), np.float64)
    for i in range(len(out)):
        strata = [x[i] for x in cells]
        keep = (strata[0] + strata[1] > 0) & (strata[2] + strata[3] > 0)
        keep &= (strata[0] + strata[2] > 0) & (strata[1] + strata[3] > 0)
        kept = [x[keep] for x in strata]
        if len(kept[0]) <= 1:
            out[i] = _fisher(*(int(x.sum()) for x in kept))
        else:
            out[i] = _conditional_p(*kept)
    return out


def _fisher(a: int, b: int, c: int, d: int) -> float:
    from scipy import stats

    return float(stats.fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue)


def _conditional_p(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> float:
    """P(Σa as likely or less) given each stratum's margins (convolved hypergeometrics)."""
    total = np.ones(1)
    low = 0
    for ai, bi, ci, di in zip(a, b, c, d, strict=True):
        n, with_, adv = ai + bi + ci + di, ai + bi, ai + ci
        lo, hi = max(0, with_ + adv - n), min(with_, adv)
        support = np.arange(lo, hi + 1)
        logp = _log_hypergeom(support, n, adv, with_)
        kept = logp >= logp.max() - _LOG_SPAN  # the rest weighs under e^-700: negligible
        first = int(np.argmax(kept))
        pmf = np.exp(logp[kept])
        total = np.convolve(total, pmf)
        low += int(support[first])
    observed = int(a.sum()) - low
    if not 0 <= observed < len(total):
        return 0.0
    return float(min(1.0, total[total <= total[observed] * _LIKE].sum()))


def _log_hypergeom(k: np.ndarray, n: int, adv: int, with_: int) -> np.ndarray:
    """log P(k advanced among the ``with_`` contacts with the touchpoint), margins fixed
    (``scipy.stats.hypergeom.logpmf`` without its per-call overhead)."""
    return _log_choose(adv, k) + _log_choose(n - adv, with_ - k) - _log_choose(n, np.asarray(with_))


def _log_choose(n: int, k: np.ndarray) -> np.ndarray:
    from scipy import special

    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values) of one family of tests."""
    p = np.asarray(p, np.float64)
    if len(p) == 0:
        return p
    from scipy import stats

    return np.asarray(stats.false_discovery_control(p, method="bh"), np.float64)


def lopsided(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """True where a group has too few successes or failures, or a cell is expected under 5."""
    cells = [x.sum(1) for x in _cells(a, b, c, d)]
    few = np.minimum.reduce(cells) < MIN_OUTCOMES
    total = np.maximum(sum(cells), 1)
    rows = (cells[0] + cells[1], cells[2] + cells[3])
    cols = (cells[0] + cells[2], cells[1] + cells[3])
    expected = [r * k / total for r in rows for k in cols]
    return few | (np.minimum.reduce(expected) < MIN_EXPECTED)


def tables(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> Tables:
    """Every statistic of a family of tables (q-values adjust over this family)."""
    or_, or_lo, or_hi = odds_ratio(a, b, c, d)
    rr, rr_lo, rr_hi = rate_ratio(a, b, c, d)
    p = exact_p(a, b, c, d)
    sums = [np.asarray(x.sum(1), np.int64) for x in _cells(a, b, c, d)]
    return Tables(
        a=sums[0],
        b=sums[1],
        c=sums[2],
        d=sums[3],
        odds_ratio=or_,
        or_low=or_lo,
        or_high=or_hi,
        rate_ratio=rr,
        rr_low=rr_lo,
        rr_high=rr_hi,
        p=p,
        q=bh_qvalues(p),
        corrected=degenerate(a, b, c, d),
        lopsided=lopsided(a, b, c, d),
    )
