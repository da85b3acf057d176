"""2×2 statistics against figures worked out by hand (docs/drivers.md gives the formulas)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from headway.engine.diagnostics.stats import (
    bh_qvalues,
    exact_p,
    lopsided,
    odds_ratio,
    rate_ratio,
    tables,
)


def one(*cells: int) -> list[np.ndarray]:
    return [np.array([x]) for x in cells]


def test_odds_ratio_and_woolf_interval() -> None:
    # OR = 12·15 / (5·8) = 4.5; SE = √(1/12 + 1/5 + 1/8 + 1/15) = √0.475 = 0.689202;
    # 4.5·e^(∓1.959964·0.689202) = 1.16563 .. 17.3725
    or_, lo, hi = odds_ratio(*one(12, 5, 8, 15))
    assert or_[0] == pytest.approx(4.5)
    assert lo[0] == pytest.approx(1.165634, rel=1e-5)
    assert hi[0] == pytest.approx(17.372515, rel=1e-5)


def test_haldane_anscombe_when_a_cell_is_zero() -> None:
    # 0 10 / 5 5 -> 0.5 10.5 / 5.5 5.5: OR = 0.5·5.5 / (10.5·5.5) = 1/21 = 0.047619;
    # SE = √(2 + 1/10.5 + 2/5.5) = 1.568080; interval 0.0022031 .. 1.029278
    st = tables(*one(0, 10, 5, 5))
    assert st.corrected[0]
    assert st.odds_ratio[0] == pytest.approx(1 / 21)
    assert st.or_low[0] == pytest.approx(0.0022031, rel=1e-4)
    assert st.or_high[0] == pytest.approx(1.029278, rel=1e-5)
    assert not tables(*one(12, 5, 8, 15)).corrected[0]


def test_rate_ratio_and_katz_interval() -> None:
    # (12/17) / (8/23) = 2.029412; SE = √(1/12 − 1/17 + 1/8 − 1/23) = 0.325626;
    # interval 1.072007 .. 3.841869
    rr, lo, hi = rate_ratio(*one(12, 5, 8, 15))
    assert rr[0] == pytest.approx(2.029412, rel=1e-6)
    assert (lo[0], hi[0]) == (pytest.approx(1.072007, rel=1e-5), pytest.approx(3.841869, rel=1e-5))


def test_fisher_p_is_the_hypergeometric_sum() -> None:
    # Margins 4/4 of 8: P(a=k) = C(4,k)·C(4,4−k)/70 = 1, 16, 36, 16, 1 (/70). a = 3 has 16/70;
    # as likely or less: k = 0, 1, 3, 4 -> 34/70.
    assert exact_p(*one(3, 1, 1, 3))[0] == pytest.approx(34 / 70)
    assert exact_p(*one(4, 0, 0, 4))[0] == pytest.approx(2 / 70)


def test_stratified_exact_p_convolves_the_strata() -> None:
    # Stratum 1: 2 1 / 1 2 (n 6, 3 with, 3 advanced): P(k) = 1, 9, 9, 1 (/20) for k = 0..3.
    # Stratum 2: 2 0 / 1 1 (n 4, 2 with, 3 advanced): P(k) = 1/2, 1/2 for k = 1, 2.
    # Σk: 1 .025, 2 .25, 3 .45, 4 .25, 5 .025; observed 4 (.25) -> p = .55.
    cells = [np.array([[2, 2]]), np.array([[1, 0]]), np.array([[1, 1]]), np.array([[2, 1]])]
    assert exact_p(*cells)[0] == pytest.approx(0.55)
    # Mantel–Haenszel OR: (2·2/6 + 2·1/4) / (1·1/6 + 0) = 7
    assert odds_ratio(*cells)[0][0] == pytest.approx(7.0)


def test_one_stratum_agrees_with_scipy_fisher() -> None:
    rng = np.random.default_rng(3)
    for a, b, c, d in rng.integers(0, 40, size=(200, 4)):
        cells = [np.array([[x, 0]]) for x in (a, b, c, d)]  # an empty second stratum
        want = sps.fisher_exact([[a, b], [c, d]]).pvalue
        assert exact_p(*cells)[0] == pytest.approx(want, rel=1e-9, abs=1e-300)


def test_one_stratum_mh_reduces_to_woolf_and_katz() -> None:
    two = [np.array([[x, 0]]) for x in (12, 5, 8, 15)]
    assert np.allclose(odds_ratio(*two), odds_ratio(*one(12, 5, 8, 15)))
    assert np.allclose(rate_ratio(*two), rate_ratio(*one(12, 5, 8, 15)))


def test_benjamini_hochberg_by_hand() -> None:
    # sorted 0.01, 0.03, 0.04, 0.5 -> p·4/rank 0.04, 0.06, 0.0533, 0.5 -> running minimum
    # from the top: 0.04, 0.0533, 0.0533, 0.5
    q = bh_qvalues(np.array([0.01, 0.04, 0.03, 0.5]))
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert len(bh_qvalues(np.array([]))) == 0


def test_lopsided_tables_are_flagged() -> None:
    assert lopsided(*one(12, 5, 8, 15))[0]  # only 5 did not advance with the touchpoint
    assert not lopsided(*one(50, 60, 40, 70))[0]
    assert lopsided(*one(30, 30, 2, 300))[0]  # 2 advanced without it


def test_tables_sums_strata_and_adjusts_the_family() -> None:
    st = tables(np.array([3, 12]), np.array([1, 5]), np.array([1, 8]), np.array([3, 15]))
    assert st.a.tolist() == [3, 12]
    assert st.q.tolist() == pytest.approx(bh_qvalues(st.p).tolist())
    assert math.isfinite(st.rate_ratio[0])


def test_z95_is_scipys_normal_quantile() -> None:
    """The pinned 97.5 % normal quantile is scipy's, to the last bit (scipy loads lazily)."""
    from scipy.stats import norm

    from headway.engine.diagnostics.stats import Z95

    assert float(norm.ppf(0.975)) == Z95
