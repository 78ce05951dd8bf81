"""Meta tests of the verdict machinery (theorems/stats.py).

Every randomized test is seeded and additionally states (and where possible asserts) its own flake
probability, i.e. the probability that it would fail for an unlucky seed although the code is correct.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats as sst

from theorems.stats import (
    BinomialJudgement,
    FalseAlarmBudget,
    Verdict,
    binomial_p_value,
    clopper_pearson,
    cp_lower,
    cp_upper,
    fit_power_law,
    judge,
    summarize_implied_constants,
    trials_needed,
)

# --------------------------------------------------------------------------------------------------
# independent reference computations


def _exact_cdf(k: int, m: int, p: Fraction) -> Fraction:
    """P(Bin(m, p) <= k) in exact rational arithmetic."""
    return sum((Fraction(math.comb(m, i)) * p**i * (1 - p) ** (m - i) for i in range(k + 1)), Fraction(0))


def _bisect(f, lo=0.0, hi=1.0, iters=200):
    """Root of an increasing function f on [lo, hi] by bisection (f(lo) < 0 < f(hi))."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _cp_lower_bruteforce(k, m, a):
    """Largest q with P(Bin(m, q) >= k) <= a, by bisection on binom.sf (independent of beta.ppf)."""
    if k == 0:
        return 0.0
    return _bisect(lambda q: sst.binom.sf(k - 1, m, q) - a)


def _cp_upper_bruteforce(k, m, a):
    """Smallest q with P(Bin(m, q) <= k) <= a, by bisection on binom.cdf (decreasing in q)."""
    if k == m:
        return 1.0
    return _bisect(lambda q: a - sst.binom.cdf(k, m, q))


# --------------------------------------------------------------------------------------------------
# Clopper--Pearson


@pytest.mark.parametrize("m", [1, 2, 5, 17, 100, 1000])
@pytest.mark.parametrize("alpha", [0.2, 0.05, 1e-3, 1e-9])
def test_cp_matches_bisection(m, alpha):
    for k in sorted({0, 1, m // 3, m // 2, m - 1, m}):
        lo, hi = clopper_pearson(k, m, alpha)
        assert lo == pytest.approx(_cp_lower_bruteforce(k, m, alpha / 2), rel=1e-7, abs=1e-12)
        assert hi == pytest.approx(_cp_upper_bruteforce(k, m, alpha / 2), rel=1e-7, abs=1e-12)
        assert cp_lower(k, m, alpha) == pytest.approx(_cp_lower_bruteforce(k, m, alpha), rel=1e-7, abs=1e-12)
        assert cp_upper(k, m, alpha) == pytest.approx(_cp_upper_bruteforce(k, m, alpha), rel=1e-7, abs=1e-12)


def test_cp_edges_are_exact():
    assert clopper_pearson(0, 10, 0.05)[0] == 0.0
    assert clopper_pearson(10, 10, 0.05)[1] == 1.0
    # Closed forms at the edges: k = m gives lower = (alpha/2)^(1/m); k = 0 gives upper = 1 - (alpha/2)^(1/m).
    assert clopper_pearson(10, 10, 0.05)[0] == pytest.approx(0.025 ** 0.1, rel=1e-14)
    assert clopper_pearson(0, 10, 0.05)[1] == pytest.approx(1 - 0.025 ** 0.1, rel=1e-13)
    assert clopper_pearson(0, 0, 0.05) == (0.0, 1.0)
    with pytest.raises(ValueError, match="successes"):
        clopper_pearson(11, 10, 0.05)
    with pytest.raises(ValueError, match="alpha"):
        clopper_pearson(1, 10, 1.5)


@settings(deadline=None, max_examples=200)
@given(m=st.integers(1, 5000), frac=st.floats(0, 1), alpha=st.floats(1e-12, 0.5))
def test_cp_contains_rate_and_nests(m, frac, alpha):
    k = int(round(frac * m))
    lo, hi = clopper_pearson(k, m, alpha)
    assert 0.0 <= lo <= k / m <= hi <= 1.0
    # A smaller alpha (more confidence) gives a wider interval.
    lo2, hi2 = clopper_pearson(k, m, alpha / 10)
    assert lo2 <= lo and hi <= hi2
    # One-sided bounds at level alpha are tighter than two-sided ones at alpha.
    assert cp_lower(k, m, alpha) >= lo and cp_upper(k, m, alpha) <= hi


# --------------------------------------------------------------------------------------------------
# exact p-value


@pytest.mark.parametrize(
    "p", [Fraction(1, 2), Fraction(61, 64), Fraction(127, 128), 1 - Fraction(1, 2**40), 1 - Fraction(1, 2**20)]
)
@pytest.mark.parametrize("m", [1, 7, 60])
def test_p_value_exact_against_rationals(p, m):
    pf = float(p)
    assert Fraction(pf) == p  # p is exactly representable, so the comparison is exact
    for k in range(m + 1):
        exact = _exact_cdf(k, m, p)
        got = binomial_p_value(k, m, pf)
        assert got == pytest.approx(float(exact), rel=1e-9, abs=1e-300), (k, m, p)


def test_p_value_near_one_and_edges():
    # 1 - 1e-12: P(Bin(m, p) <= m - 1) = 1 - p^m ~ m * 1e-12 must not be lost to cancellation.
    p = 1 - 1e-12
    q = 1 - p  # the exact complement of the float p
    assert binomial_p_value(999, 1000, p) == pytest.approx(-math.expm1(1000 * math.log1p(-q)), rel=1e-9)
    assert binomial_p_value(1000, 1000, p) == 1.0
    assert binomial_p_value(3, 10, 0.0) == 1.0  # vacuous claim
    assert binomial_p_value(3, 10, -2.5) == 1.0
    assert binomial_p_value(9, 10, 1.0) == 0.0
    assert binomial_p_value(10, 10, 1.0) == 1.0
    assert binomial_p_value(0, 0, 0.9) == 1.0
    with pytest.raises(ValueError, match="p_stated"):
        binomial_p_value(3, 10, 1.5)
    with pytest.raises(ValueError, match="p_stated"):
        binomial_p_value(3, 10, float("nan"))


def test_exact_test_size_never_exceeds_alpha():
    """The probability of REFUTED when p_true = p_stated, computed exactly over all k, is <= alpha."""
    for m in (5, 20, 137, 1000):
        ks = np.arange(m + 1)
        for p in (0.5, 0.9, 0.95, 0.999):
            for alpha in (0.05, 1e-3):
                refuted = np.array([judge(int(k), m, p, alpha, 0.01).verdict is Verdict.REFUTED for k in ks])
                size = float(sst.binom.pmf(ks[refuted], m, p).sum())
                assert size <= alpha * (1 + 1e-9), (m, p, alpha, size)
                # and the rejection region is the largest allowed one: adding the next k exceeds alpha
                kmax = int(ks[refuted].max()) if refuted.any() else -1
                assert sst.binom.cdf(kmax + 1, m, p) > alpha


# --------------------------------------------------------------------------------------------------
# judge


def _bernoulli_successes(seed: int, p_true: float, m: int) -> int:
    rng = np.random.default_rng(seed)
    return int(np.count_nonzero(rng.random(m) < p_true))


ALPHA = 1e-9  # per assertion; with 200 seeds the chance of any spurious refutation is <= 2e-7 < 1e-6
TOL = 0.02


def test_planted_false_claim_is_refuted():
    m = trials_needed(0.95, ALPHA, TOL)
    k = _bernoulli_successes(20210618, 0.8, m)
    j = judge(k, m, 0.95, ALPHA, TOL)
    assert j.verdict is Verdict.REFUTED, j.reason
    assert j.p_value <= ALPHA and j.ci_high < 0.95
    # Flake probability of this test: P(not refuted | p_true = 0.8), computed exactly; it is astronomically small.
    kmax = max(k for k in range(m + 1) if binomial_p_value(k, m, 0.95) <= ALPHA) if m else -1
    assert sst.binom.sf(kmax, m, 0.8) < 1e-12


@pytest.mark.parametrize("p_true", [0.95, 0.99])
def test_true_claim_is_never_refuted(p_true):
    """200 independent seeds of a true claim: zero refutations.

    Each run refutes with probability <= ALPHA = 1e-9 (exact test, p_true >= p_stated), so the
    probability that this test fails spuriously is <= 200 * 1e-9 = 2e-7 (union bound).
    """
    m = trials_needed(0.95, ALPHA, TOL)
    verdicts = [judge(_bernoulli_successes(seed, p_true, m), m, 0.95, ALPHA, TOL).verdict for seed in range(200)]
    assert Verdict.REFUTED not in verdicts
    if p_true == 0.99:
        # Far inside the claim every run must verify; the chance that one does not is computed exactly.
        kmin = min(k for k in range(m + 1) if judge(k, m, 0.95, ALPHA, TOL).verdict is Verdict.VERIFIED)
        p_miss = sst.binom.cdf(kmin - 1, m, 0.99)
        assert 200 * p_miss < 1e-6
        assert all(v is Verdict.VERIFIED for v in verdicts)


def test_too_few_trials_is_inconclusive():
    j = judge(5, 5, 0.99, 0.05, 0.01)
    assert j.verdict is Verdict.INCONCLUSIVE
    assert "too few trials" in j.reason
    assert judge(0, 0, 0.9, 0.05, 0.01).verdict is Verdict.INCONCLUSIVE


def test_vacuous_claim():
    for p in (0.0, -3.0):
        j = judge(0, 10, p, 0.05, 0.0)
        assert j.verdict is Verdict.VERIFIED
        assert "vacuous: stated probability ≤ 0" in j.reason
        assert j.p_value == 1.0
    assert trials_needed(-1.0, 1e-6, 0.01) == 0


def test_exact_claim_any_failure_refutes():
    assert judge(999, 1000, 1.0, 1e-6, 0.01).verdict is Verdict.REFUTED
    assert judge(1000, 1000, 1.0, 1e-6, 0.01).verdict is Verdict.INCONCLUSIVE  # 1e-6^(1/1000) = 0.9863 < 0.99
    assert judge(2000, 2000, 1.0, 1e-6, 0.01).verdict is Verdict.VERIFIED  # 1e-6^(1/2000) = 0.9931


def test_empirical_false_alarm_rate_at_boundary():
    """4000 runs with p_true = p_stated at alpha = 0.05: refutation frequency within binomial noise of <= 0.05.

    If judge is exact, the number of refutations R is stochastically below Bin(4000, 0.05); the
    threshold is the (1 - 1e-9)-quantile of that law, so this test flakes with probability < 1e-9.
    An anti-conservative rule (e.g. a Wald/normal test near p = 1) exceeds it.
    """
    rng = np.random.default_rng(12345)
    runs = 4000
    limit = int(sst.binom.isf(1e-9, runs, 0.05))
    for m, p in ((40, 0.9), (200, 0.97), (1000, 0.995)):
        ks = rng.binomial(m, p, size=runs)
        refuted = sum(judge(int(k), m, p, 0.05, 0.01).verdict is Verdict.REFUTED for k in ks)
        assert refuted <= limit, (m, p, refuted, limit)


@settings(deadline=None, max_examples=150)
@given(m=st.integers(0, 3000), frac=st.floats(0, 1), p=st.floats(-0.5, 1.0), alpha=st.floats(1e-10, 0.3),
       tol=st.floats(0, 0.5))
def test_judge_consistency(m, frac, p, alpha, tol):
    k = int(round(frac * m))
    j = judge(k, m, p, alpha, tol)
    assert isinstance(j, BinomialJudgement)
    assert 0.0 <= j.ci_low <= j.ci_high <= 1.0
    if p <= 0:
        assert j.verdict is Verdict.VERIFIED and "vacuous" in j.reason
    elif j.verdict is Verdict.REFUTED:
        assert j.p_value <= alpha
        # refutation <=> the stated probability is above the upper confidence bound (duality)
        assert p >= j.ci_high * (1 - 1e-9)
    else:
        assert j.p_value > alpha
    if j.verdict is Verdict.VERIFIED and p > 0 and p - tol > 0:
        assert j.ci_low >= (p - tol) * (1 - 1e-9)
    if j.verdict is Verdict.INCONCLUSIVE:
        assert j.ci_low <= (p - tol) * (1 + 1e-9)
    # One more success never makes things worse.
    if k < m:
        order = {Verdict.REFUTED: 0, Verdict.INCONCLUSIVE: 1, Verdict.VERIFIED: 2}
        assert order[judge(k + 1, m, p, alpha, tol).verdict] >= order[j.verdict]


# --------------------------------------------------------------------------------------------------
# trials_needed


def _verified_at_rate(m, p, alpha, tol):
    return judge(math.ceil(m * p), m, p, alpha, tol).verdict is Verdict.VERIFIED


@pytest.mark.parametrize(
    "p,alpha,tol", [(0.95, 1e-9, 0.02), (0.5, 0.05, 0.1), (0.99, 1e-6, 0.005), (1 - 1e-12, 1e-9, 1e-3), (1.0, 0.01, 0.1)]
)
def test_trials_needed_is_minimal(p, alpha, tol):
    m = trials_needed(p, alpha, tol)
    assert _verified_at_rate(m, p, alpha, tol)
    assert m == 1 or not _verified_at_rate(m - 1, p, alpha, tol)
    # minimality over all smaller m (the verdict is a sawtooth in m, so m - 1 alone is not enough)
    if m <= 12000:
        assert not any(_verified_at_rate(mm, p, alpha, tol) for mm in range(1, m))


@settings(deadline=None, max_examples=40)
@given(p=st.floats(0.3, 0.999), alpha=st.floats(1e-9, 0.2), tol=st.floats(0.03, 0.3), f=st.floats(0.3, 0.9))
def test_trials_needed_monotone(p, alpha, tol, f):
    m = trials_needed(p, alpha, tol)
    assert trials_needed(p, alpha * f, tol) >= m  # more confidence -> more trials
    assert trials_needed(p, alpha, tol * f) >= m  # finer tolerance -> more trials
    assert _verified_at_rate(m, p, alpha, tol)
    assert m == 1 or not _verified_at_rate(m - 1, p, alpha, tol)


def test_trials_needed_impossible():
    with pytest.raises(ValueError, match=r"p_stated=1\.0.*tolerance=0\.0"):
        trials_needed(1.0, 1e-6, 0.0)
    with pytest.raises(ValueError, match="max_trials=10"):
        trials_needed(0.95, 1e-9, 0.01, max_trials=10)
    with pytest.raises(ValueError, match="alpha"):
        trials_needed(0.95, 0.0, 0.01)


# --------------------------------------------------------------------------------------------------
# budget


def test_false_alarm_budget():
    b = FalseAlarmBudget(1e-6, 100)
    assert b.per_assertion == pytest.approx(1e-8)
    s = b.split(4)
    assert s.total == pytest.approx(1e-8) and s.per_assertion == pytest.approx(2.5e-9)
    assert FalseAlarmBudget(assertions=2).total == 1e-6
    with pytest.raises(ValueError, match="total=1.5"):
        FalseAlarmBudget(1.5, 3)
    with pytest.raises(ValueError, match="total=0"):
        FalseAlarmBudget(0, 3)
    with pytest.raises(ValueError, match="assertions=0"):
        FalseAlarmBudget(1e-6, 0)
    with pytest.raises(ValueError, match="assertions=0"):
        b.split(0)


# --------------------------------------------------------------------------------------------------
# power laws and implied constants


def test_power_law_exact():
    x = np.array([2.0, 4.0, 8.0, 16.0, 32.0])
    fit = fit_power_law(x, 3.0 * x**1.5)
    assert fit.exponent == pytest.approx(1.5, abs=1e-12)
    assert fit.prefactor == pytest.approx(3.0, rel=1e-12)
    assert fit.ci_high - fit.ci_low == pytest.approx(0.0, abs=1e-10)
    assert fit.r2 == pytest.approx(1.0) and fit.n == 5


@pytest.mark.parametrize("seed", range(5))
def test_power_law_noisy_recovers_exponent(seed):
    """Lognormal noise makes the log-log model exactly Gaussian, so the 1 - 1e-6 t-interval covers the
    true exponent except with probability 1e-6 per seed (5e-6 in all)."""
    rng = np.random.default_rng(seed)
    x = np.geomspace(10, 1e4, 40)
    y = 3.0 * x**1.5 * rng.lognormal(0.0, 0.2, size=x.size)
    fit = fit_power_law(x, y, level=1 - 1e-6)
    assert fit.contains(1.5), fit
    assert fit.ci_high - fit.ci_low < 0.3  # and it is informative
    assert not fit.contains(1.0) and not fit.contains(2.0)


def test_power_law_coverage_frequency():
    """The 95% interval covers in about 95% of 400 seeded fits (exact under Gaussian log-noise).

    Covers ~ Bin(400, 0.95); the bounds are its 1e-9 and 1 - 1e-9 quantiles (flake prob < 2e-9). A
    z-interval instead of t on n=5 points, or a wrong standard error, falls outside.
    """
    rng = np.random.default_rng(7)
    x = np.array([1.0, 2.0, 3.0, 5.0, 8.0])
    covers = 0
    for _ in range(400):
        y = 2.0 * x**0.7 * rng.lognormal(0.0, 0.5, size=x.size)
        covers += fit_power_law(x, y).contains(0.7)
    lo, hi = sst.binom.ppf(1e-9, 400, 0.95), sst.binom.isf(1e-9, 400, 0.95)
    assert lo <= covers <= hi, covers
    # and the interval is not trivially wide: at level 0.5 coverage must drop well below 95%
    covers_half = sum(fit_power_law(x, 2.0 * x**0.7 * rng.lognormal(0, 0.5, x.size), level=0.5).contains(0.7)
                      for _ in range(400))
    assert covers_half < lo


def test_power_law_rejects_bad_input():
    with pytest.raises(ValueError, match="y must be positive"):
        fit_power_law([1, 2, 3], [1, -2, 3])
    with pytest.raises(ValueError, match="x must be finite"):
        fit_power_law([1, np.inf, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="y must be finite"):
        fit_power_law([1, 2, 3], [1, np.nan, 3])
    with pytest.raises(ValueError, match="x must be positive"):
        fit_power_law([0, 2, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="at least 3"):
        fit_power_law([1, 2], [1, 2])
    with pytest.raises(ValueError, match="distinct"):
        fit_power_law([2, 2, 2], [1, 2, 3])


def test_summarize_implied_constants():
    s = summarize_implied_constants(np.arange(1, 101, dtype=float))
    assert s == {"min": 1.0, "q05": pytest.approx(5.95), "median": 50.5, "q95": pytest.approx(95.05),
                 "max": 100.0, "n": 100}
    assert all(isinstance(v, float) for k, v in s.items() if k != "n")
    with pytest.raises(ValueError, match="empty"):
        summarize_implied_constants([])
    with pytest.raises(ValueError, match="finite"):
        summarize_implied_constants([1.0, float("nan")])
