"""The one judge (theorems/inference.py) against independent computations: brute-force enumeration of
the Kendall null distribution, the exact binomial power of planned trial counts, and the coverage of the
distribution-free intervals, measured by simulation at a level where it can be seen."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest
from scipy import stats as st

from theorems import inference as I

ALPHA = 1e-10


@pytest.mark.parametrize("groups", [(1, 1), (2, 2), (2, 1, 3), (3, 3, 1), (1, 1, 1, 1, 2)])
def test_concordance_distribution_matches_enumeration(groups):
    labels = [g for g, n in enumerate(groups) for _ in range(n)]
    n = len(labels)
    count = Counter()
    for perm in set(itertools.permutations(labels)):
        count[sum(1 for i in range(n) for j in range(i + 1, n) if perm[i] < perm[j])] += 1
    T = max(count)
    assert I._concordance_distribution(groups) == tuple(count.get(c, 0) for c in range(T + 1))


def test_kendall_null_is_symmetric_and_normalised():
    counts = I._concordance_distribution((6, 6, 6, 6))
    assert counts == counts[::-1]  # exact integers
    assert sum(counts) == 24 * 23 * 22 * 21 * 20 * 19 * 18 * 17 * 16 * 15 * 14 * 13 * 12 * 11 * 10 * 9 * 8 * 7 // (720 ** 3)
    assert I.kendall_null_cdf((6, 6, 6, 6))[-1] == 1.0


@pytest.mark.parametrize("p", [0.5, 0.9, 0.99, 0.999])
def test_planned_trials_reach_their_power_and_keep_alpha(p):
    """The exact binomial probabilities, recomputed independently of the search: at the alternative
    F·(1 − p) the test refutes with probability ≥ 0.9; at the claim itself with probability ≤ alpha."""
    plan = I.plan_trials(p, ALPHA, max_trials=10_000)
    assert plan.reached
    m = plan.trials
    q0, q1 = 1 - p, min(1.0, I.POWER_FACTOR * (1 - p))
    # refute iff failures ≥ c, c the smallest count whose tail under q0 is ≤ alpha
    c = next(c for c in range(m + 2) if st.binom.sf(c - 1, m, q0) <= ALPHA)
    assert st.binom.sf(c - 1, m, q0) <= ALPHA
    assert st.binom.sf(c - 1, m, q1) >= I.POWER
    # m is the smallest such count
    c_prev = next((c for c in range(m + 1) if st.binom.sf(c - 1, m - 1, q0) <= ALPHA), None)
    if c_prev is not None:
        assert st.binom.sf(c_prev - 1, m - 1, q1) < I.POWER


def test_power_short_is_not_verified():
    plan = I.plan_trials(1 - 1e-9, ALPHA, max_trials=300)
    assert not plan.reached and plan.trials == 300 and plan.detectable > plan.target
    jd = I.judge_binomial(300, 300, 1 - 1e-9, ALPHA, plan)
    assert jd.verdict == I.NOT_REFUTED and jd.power["reached"] is False


def test_binomial_refutes_exactly_at_alpha():
    plan = I.plan_trials(0.99, ALPHA)
    m = plan.trials
    ks = np.arange(m + 1)
    refuted = np.array([I.judge_binomial(int(k), m, 0.99, ALPHA, plan).verdict == "refuted" for k in ks])
    # the refutation region is {k ≤ k*} and its probability under the claim is ≤ alpha
    kstar = ks[refuted].max()
    assert np.all(refuted[: kstar + 1]) and not np.any(refuted[kstar + 1:])
    assert st.binom.cdf(kstar, m, 0.99) <= ALPHA < st.binom.cdf(kstar + 1, m, 0.99)


def test_sen_interval_recovers_an_exact_power_law():
    x = np.array([1.0, 2, 4, 8, 16])
    y = 3.0 * x[:, None] ** 1.5 * np.ones((5, 4))
    f = I.fit_loglog(x, y, ALPHA)
    assert f.slope == pytest.approx(1.5, abs=1e-12)
    assert f.low == pytest.approx(1.5, abs=1e-12) and f.high == pytest.approx(1.5, abs=1e-12)


@pytest.mark.parametrize("noise", ["gaussian", "cauchy"])
def test_sen_interval_coverage(noise):
    """At alpha = 0.2 the exact interval misses the true slope in ≤ 20% of data sets (any noise law):
    over 300 data sets, the miss count stays below the binomial bound at 1e-9."""
    rng = np.random.default_rng(12345)
    x = np.array([1.0, 2.0, 3.0, 5.0])
    alpha, reps, miss = 0.2, 300, 0
    for _ in range(reps):
        e = rng.standard_normal((4, 3)) if noise == "gaussian" else rng.standard_cauchy((4, 3))
        f = I.slope_interval(x, 0.7 * x[:, None] + e, alpha)
        miss += not (f.low <= 0.7 <= f.high)
    assert miss <= st.binom.isf(1e-9, reps, alpha)


def test_median_interval_coverage():
    rng = np.random.default_rng(7)
    alpha, reps = 0.1, 400
    miss = sum(not (lo <= 0.0 <= hi) for lo, hi in (I.median_interval(rng.standard_cauchy(15), alpha) for _ in range(reps)))
    assert miss <= st.binom.isf(1e-9, reps, alpha)


def test_scaling_verdicts_cover_the_three_cases():
    rng = np.random.default_rng(0)
    x = np.array([256.0, 512, 1024, 2048, 4096])
    y = x[:, None] * np.exp(0.02 * rng.standard_normal((5, 8)))
    assert I.judge_scaling(x, y, exponent=1, window=0.1, alpha=ALPHA).verdict == "verified"
    assert I.judge_scaling(x, y, exponent=0.5, window=0.1, alpha=ALPHA).verdict == "refuted"
    assert I.judge_scaling(x[:2], y[:2, :2], exponent=1, window=0.1, alpha=ALPHA).verdict == "inconclusive"


def test_path_and_affine_and_spread_detect_what_they_claim():
    rng = np.random.default_rng(1)
    x = np.array([16.0, 32, 64, 128, 256])
    decaying = x[:, None] ** -0.5 * np.exp(0.05 * rng.standard_normal((5, 8)))
    flat = np.exp(0.05 * rng.standard_normal((5, 8)))
    assert I.judge_path(x, decaying, side="lower", alpha=ALPHA, window=0.1).verdict == "refuted"
    assert I.judge_path(x, flat, side="lower", alpha=ALPHA, window=0.1).verdict != "refuted"
    assert I.judge_path(1 / x[::-1], decaying[::-1], side="upper", alpha=ALPHA, window=0.1).verdict == "refuted"
    lin = 5.0 + 2.0 * x[:, None] + rng.standard_normal((5, 8))
    assert I.judge_affine(x, lin, alpha=ALPHA).verdict == "verified"
    assert I.judge_affine(x, -lin, alpha=ALPHA).verdict == "refuted"
    g = [np.exp(0.05 * rng.standard_normal(40)) * c for c in (1.0, 1.2, 1.1)]
    assert I.judge_spread(g, limit=2.0, alpha=ALPHA).verdict == "verified"
    g[1] = g[1] * 10
    assert I.judge_spread(g, limit=2.0, alpha=ALPHA).verdict == "refuted"


@pytest.mark.parametrize("bad", [dict(x=[1.0, 1.0], y=[[1.0], [2.0]]), dict(x=[1.0, 2.0], y=[[1.0], [np.nan]]),
                                 dict(x=[1.0, 2.0, 3.0], y=[[1.0], [2.0]])])
def test_bad_input_names_the_value(bad):
    with pytest.raises(ValueError, match="x|y"):
        I.slope_interval(bad["x"], bad["y"], 0.1)


def test_quantile_bound_coverage_and_side():
    """The 5%-quantile lower bound at 95% confidence covers the true quantile in ≥ 95% of samples (N(0,1):
    ξ = −1.645), and the upper bound mirrors it."""
    rng = np.random.default_rng(3)
    xi = st.norm.ppf(0.05)
    reps = 400
    miss = sum(I.quantile_bound(rng.standard_normal(120), 0.05, 0.05, "lower") > xi for _ in range(reps))
    assert miss <= st.binom.isf(1e-9, reps, 0.05)
    v = rng.standard_normal(200)
    assert I.quantile_bound(v, 0.95, 0.05, "upper") == -I.quantile_bound(-v, 0.05, 0.05, "lower")
    assert I.quantile_bound(v[:3], 0.05, 0.05, "lower") == -np.inf  # too few points: no bound, never a false one
