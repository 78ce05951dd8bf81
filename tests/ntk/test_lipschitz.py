"""Lipschitz estimates of the pre-activation maps ``g_k`` (Lemma 6.1, Thm 6.2; THEOREMS.md §1).

Also: the exact value for ``d = 2`` by the circle sweep (against region enumeration, an independent
algorithm), the certified upper bounds (block product, pair bound against brute force over every pattern),
the stronger ascent (certified at an independently recomputed point; its gap to the exact value measured on
fixed networks — the power of the lower estimate).

``g_k`` is piecewise linear; at a point with no zero pre-activation in layers ``< k`` it is *linear* on a
neighbourhood, so its central-difference Jacobian there has no truncation error (step chosen inside the
neighbourhood, asserted) and only rounding ``≈ γ S/h`` remains (evaluated in long double).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ntk
from tests.ntk import reference as R

from ..helpers import examples

EPS = R.EPS


def _fd_pattern_jacobian(z, Ws, k):
    """Central differences of ``g_k`` at ``z`` in long double.

    A step ``h e_j`` moves ``g_l`` (``l < k``) by at most ``h Π_{q≤l} ‖W_q‖_op`` (ReLU 1-Lipschitz); with
    ``h Π_{q<k} max(1, ‖W_q‖_op) < margin = min_{l<k} |g_l(z)|`` no unit changes sign, ``g_k`` is linear on
    the step and the difference quotient is exact up to rounding ``≤ 2γ S/(2h)`` with ``S`` the
    absolute-value chain and ``γ = (Σ n_{l-1}) u_LD``."""
    Wk = Ws[:k]
    pre = R.forward_ref(z, Wk)
    margin = min((float(np.min(np.abs(g))) for g in pre[:-1]), default=math.inf)
    c = math.prod(max(1.0, float(np.linalg.norm(W, 2))) for W in Wk[:-1])
    h = 1.0 if margin == math.inf else 2.0 ** math.floor(math.log2(0.25 * margin / c))
    assert h * c < margin
    d = len(z)
    J = np.empty((Wk[-1].shape[1], d))
    u = R.EPS_LD / 2
    gam = sum(W.shape[0] for W in Wk) * u
    S = np.abs(z) + h
    for W in Wk:
        S = np.abs(W).T @ S
    for j in range(d):
        zp = z.astype(R.LD)
        zm = z.astype(R.LD)
        zp[j] += R.LD(h)
        zm[j] -= R.LD(h)
        J[:, j] = (R.forward_ref(zp, Wk, R.LD)[-1] - R.forward_ref(zm, Wk, R.LD)[-1]) / (zp[j] - zm[j])
    bound = (2 * gam * S / (2 * h))[:, None] + EPS * np.abs(J)
    return J, margin, bound


@pytest.mark.parametrize("widths,seed", [([5, 8, 6, 4, 1], 0), ([3, 10, 10, 1], 1), ([7, 4, 9, 5, 3, 1], 2)])
def test_pattern_jacobian_matches_finite_differences(widths, seed):
    rng = np.random.default_rng(seed)
    W = ntk.init_weights(widths, rng=rng)
    Z = rng.standard_normal((6, widths[0]))
    for k in range(1, len(widths)):
        J, margin = ntk.pattern_jacobian(Z, W, k)
        assert J.shape == (6, widths[k], widths[0])
        for m, z in enumerate(Z):
            Jfd, mref, bound = _fd_pattern_jacobian(z, W, k)
            # same min |g_l| up to the summation order of the dot products: ≤ 2 (Σ n) eps |g|_abs
            ga, gmax = np.abs(z), 0.0
            for l in range(k - 1):
                ga = np.abs(W[l]).T @ ga
                gmax = max(gmax, float(ga.max()))
            if k == 1:
                assert margin[m] == mref == math.inf  # no hidden layer before g_1
            else:
                assert abs(margin[m] - mref) <= 2 * sum(widths[:k]) * EPS * gmax
            # the pattern Jacobian is a product of k matrices: rounding ≤ γ |W_k|ᵀ Σ ⋯ |W_1|ᵀ
            Ja = np.abs(W[0]).T
            for l in range(1, k):
                Ja = np.abs(W[l]).T @ (((R.forward_ref(z, W[:l])[-1]) > 0)[:, None] * Ja)
            tol = bound + sum(widths[:k]) * EPS * Ja
            assert np.all(np.abs(J[m] - Jfd) <= tol), (k, m, np.max(np.abs(J[m] - Jfd) / tol))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(1, 10), min_size=2, max_size=5),
    st.integers(1, 8),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["standard", "he"]),
)
def test_naive_upper_bound_dominates_lower_estimate(hidden, d, seed, betas):
    """``‖J(g_k)(z)‖_op ≤ ‖g_k‖_Lip ≤ Π_{l≤k} ‖W_l‖_op`` for every certified point. In floating point the two
    sides are SVD-based norms of (products of) matrices, each within ``≈ (d + Σ n) eps`` relative."""
    widths = [d] + hidden + [1]
    W = ntk.init_weights(widths, betas=betas, rng=seed)
    rng = np.random.default_rng(seed + 1)
    for k in range(1, len(widths)):
        up = ntk.naive_lipschitz_upper(W, k)
        est = ntk.lipschitz_lower_estimate(W, k, rng, samples=32, ascent_steps=5, starts=4)
        rel = (d + sum(widths[: k + 1]) + 2 * k) * EPS
        if est.certified:
            assert est.value <= up * (1 + rel) + 1e-300, (k, est.value, up)
            J, m = ntk.pattern_jacobian(est.argmax[None, :], W, k)
            assert m[0] == est.margin > 0
            assert np.linalg.norm(J[0], 2) == pytest.approx(est.value, rel=rel)
            assert abs(np.linalg.norm(est.argmax) - 1) <= (d + 2) * EPS
        assert est.evaluations == 32 + 5 * 4


@pytest.mark.parametrize("seed", range(3))
def test_k1_estimate_is_exact_operator_norm(seed):
    """``g_1(z) = W_1ᵀ z`` is linear: its Lipschitz constant is exactly ``‖W_1‖_op``; the Jacobian is the same
    everywhere, every point is certified (no hidden layer, margin = ∞), and lower = upper."""
    W = ntk.init_weights([6, 9, 4, 1], rng=seed)
    est = ntk.lipschitz_lower_estimate(W, 1, seed, samples=16, ascent_steps=3, starts=2)
    op = np.linalg.svd(W[0], compute_uv=False)[0]
    assert est.certified and est.margin == math.inf
    assert est.value == pytest.approx(op, rel=1e-12)
    assert ntk.naive_lipschitz_upper(W, 1) == pytest.approx(op, rel=1e-12)


def test_certified_flag():
    assert ntk.LipschitzEstimate(1.0, np.zeros(2), 1e-3, 1).certified
    assert not ntk.LipschitzEstimate(1.0, np.zeros(2), 0.0, 1).certified
    # a point exactly on a kink has margin 0 and is not certified
    W1 = np.array([[1.0, 0.0], [0.0, 1.0]])
    W = [W1, np.eye(2), np.ones((2, 1))]
    _, m = ntk.pattern_jacobian(np.array([[1.0, 0.0], [1.0, 2.0]]), W, 2)
    assert m[0] == 0.0 and m[1] == 1.0


def test_positive_homogeneity_of_pattern_jacobian():
    """``g_k(cz) = c g_k(z)``: the Jacobian is constant along rays (same pattern), exactly for c = 2^j."""
    W = ntk.init_weights([4, 7, 7, 1], rng=3)
    Z = np.random.default_rng(4).standard_normal((5, 4))
    J, m = ntk.pattern_jacobian(Z, W, 3)
    J8, m8 = ntk.pattern_jacobian(8.0 * Z, W, 3)
    assert np.array_equal(J, J8) and np.array_equal(8.0 * m, m8)


# --------------------------------------------------------------------------- exact value for d = 2
from ntk.lipschitz import (certified_lipschitz_upper, certify_point, lipschitz_search, pair_norm_bound,  # noqa: E402
                           planar_lipschitz)


def _rel(Ws, k):
    return 8.0 * (sum(W.shape[1] for W in Ws[:k]) + Ws[0].shape[0]) * EPS


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=3), st.integers(0, 2**32 - 1), st.data())
def test_planar_sweep_matches_region_enumeration(hidden, seed, data):
    """Two independent exact algorithms for ``‖g_k‖_Lip`` at ``d = 2`` (circle sweep; LP-based region
    enumeration) agree, and so do their maxima over strict pieces (Lemma 6.1's right side, ``None`` when empty)."""
    widths = [2] + hidden + [data.draw(st.integers(1, 3))]
    k = data.draw(st.integers(1, len(widths) - 1))
    Ws = ntk.init_weights(widths, data.draw(st.sampled_from(["standard", "he"])), seed)
    ex = ntk.exact_lipschitz(Ws, k)
    pl = planar_lipschitz(Ws, k)
    tol = _rel(Ws, k) * max(ex.value, 1e-300)
    assert abs(pl.value - ex.value) <= tol, (widths, k, pl.value, ex.value)
    assert (pl.strict_value is None) == (ex.strict_value is None)
    if ex.strict_value is not None:
        assert abs(pl.strict_value - ex.strict_value) <= tol
    assert pl.pieces >= ex.regions  # the sector through angle 0 is split in two


@pytest.mark.parametrize("widths,k", [([2, 300, 16, 1], 2), ([2, 128, 16, 64, 1], 3), ([2, 64, 8, 64, 8, 1], 4)])
def test_planar_sweep_is_attained_and_dominates_samples(widths, k):
    """Wide ``d = 2`` networks (beyond region enumeration): the sweep's value is attained at its argmax
    (recomputed by :func:`certify_point`, certified interior) and no dense sample of the circle exceeds it."""
    Ws = ntk.init_weights(widths, "he", 11)
    pl = planar_lipschitz(Ws, k)
    v, ok, _ = certify_point(Ws, k, pl.argmax)
    rel = _rel(Ws, k)
    assert ok and abs(v - pl.value) <= rel * pl.value
    th = np.linspace(0.0, 2 * np.pi, 20001)[:-1]
    J, m = ntk.pattern_jacobian(np.stack([np.cos(th), np.sin(th)], axis=1), Ws, k)
    assert float(np.linalg.norm(J, 2, axis=(1, 2)).max()) <= pl.value * (1 + rel)


def test_planar_sweep_rejects_bad_input():
    Ws = ntk.init_weights([3, 4, 1], rng=0)
    with pytest.raises(ValueError, match="d = 2"):
        planar_lipschitz(Ws, 1)
    Ws = ntk.init_weights([2, 4, 1], rng=0)
    with pytest.raises(ValueError, match="angle_tol"):
        planar_lipschitz(Ws, 1, angle_tol=0.1)
    with pytest.raises(ValueError, match="k"):
        planar_lipschitz(Ws, 3)


def test_planar_sweep_coincident_boundary():
    """A later unit behind a single active unit has a zero *on* the earlier boundary; rounding must not turn
    that into a sliver with a wrong pattern (found by random testing: this network has g_3 ≡ 0)."""
    Ws = ntk.init_weights([2, 2, 1, 3, 1], "he", 3)
    assert planar_lipschitz(Ws, 3).value == ntk.exact_lipschitz(Ws, 3).value == 0.0


# ---------------------------------------------------------------------------- certified upper bounds
@pytest.mark.parametrize("seed", range(4))
def test_pair_bound_dominates_every_pattern(seed):
    """``max_{0 ⪯ D ⪯ I} ‖A D B‖ ≤ (‖AB‖ + ‖A‖‖B‖)/2``: brute force over all 2^10 patterns (the max of a convex
    function of D is at a vertex) and random fractional D."""
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((5, 10)), rng.standard_normal((10, 4))
    bound = pair_norm_bound(A, B)
    pats = ((np.arange(1024)[:, None] >> np.arange(10)) & 1).astype(float)
    worst = max(np.linalg.norm(A @ (p[:, None] * B), 2) for p in pats)
    frac = max(np.linalg.norm(A @ (p[:, None] * B), 2) for p in rng.random((200, 10)))
    assert max(worst, frac) <= bound * (1 + 64 * EPS)
    assert bound <= np.linalg.norm(A, 2) * np.linalg.norm(B, 2) * (1 + 64 * EPS)
    with pytest.raises(ValueError, match="shape"):
        pair_norm_bound(A, B.T)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=3), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_certified_upper_between_exact_and_naive(hidden, d, seed):
    """``‖g_k‖_Lip ≤ certified_lipschitz_upper ≤ Π ‖W_l‖_op`` (exact value by region enumeration)."""
    widths = [d] + hidden + [1]
    Ws = ntk.init_weights(widths, "standard", seed)
    for k in range(1, len(widths)):
        ex = ntk.exact_lipschitz(Ws, k).value
        up = certified_lipschitz_upper(Ws, k)
        rel = _rel(Ws, k)
        assert ex <= up * (1 + rel) + 1e-300
        assert up <= ntk.naive_lipschitz_upper(Ws, k) * (1 + rel)


def test_certified_upper_gains_on_a_wide_middle_layer():
    """[16, 1024, 16]: the pair bound is ``(1 + ‖AB‖/(‖A‖‖B‖))/2`` of the naive product, with ``‖AB‖ ≈ 8√m`` and
    ``‖A‖‖B‖ ≈ (√m + 4)²`` for this shape: ≈ 0.6 at m = 1024 (the point of it: a factor ≈ 2.8 on Lip²)."""
    Ws = ntk.init_weights([16, 1024, 16, 1], "standard", 0)
    assert certified_lipschitz_upper(Ws, 2) < 0.65 * ntk.naive_lipschitz_upper(Ws, 2)


# ----------------------------------------------------------------------------------- the ascent
def test_certify_point_rejects_kinks():
    W = [np.array([[1.0, 0.0], [0.0, 1.0]]), np.eye(2), np.ones((2, 1))]
    v, ok, ratio = certify_point(W, 2, np.array([1.0, 0.0]))
    assert not ok and ratio == 0.0
    v, ok, _ = certify_point(W, 2, np.array([1.0, 2.0]))  # both units active: J = I
    assert ok and v == pytest.approx(1.0)


SEARCH_POWER = [([2, 8, 8, 8, 1], 3, 8), ([2, 32, 8, 32, 1], 3, 8), ([2, 6, 6, 6, 6, 1], 4, 8),
                ([3, 6, 6, 6, 1], 3, examples(1, 2, 8))]


@pytest.mark.parametrize("widths,k,nets", SEARCH_POWER, ids=lambda v: str(v))
def test_search_is_certified_and_close_to_exact(widths, k, nets):
    """The ascent's value is realised (``certify_point`` at its argmax reproduces it, certified), never above
    the exact constant (circle sweep for d = 2, region enumeration for d = 3), and — its measured power on
    fixed networks — exact on at least half of them and within ×1.25 on every one (measured at this commit:
    largest gap ×1.22 on Lip, one of the eight [2, 8, 8, 8] networks; d = 3 narrow-deep nets up to ×1.46
    at other seeds, so the ×1.25 is asserted only here)."""
    gaps = []
    for seed in range(nets):
        Ws = ntk.init_weights(widths, "standard", seed)
        ex = planar_lipschitz(Ws, k).value if widths[0] == 2 else ntk.exact_lipschitz(Ws, k).value
        est = lipschitz_search(Ws, k, seed, samples=128, restarts=6, steps=25)
        v, ok, _ = certify_point(Ws, k, est.argmax)
        rel = _rel(Ws, k)
        assert ok and est.certified and abs(v - est.value) <= rel * v
        assert est.value <= ex * (1 + rel)
        gaps.append(ex / est.value)
    assert np.mean(np.array(gaps) <= 1 + 1e-9) >= 0.5, gaps
    assert max(gaps) <= 1.25, gaps


def test_search_beats_the_plain_evolution_strategy():
    """On a wide bottleneck (d = 16) the ascent finds larger certified values than the (1+1)-ES of
    ``lipschitz_lower_estimate`` with 4× its evaluations, on every one of 4 fixed networks."""
    for seed in range(4):
        Ws = ntk.init_weights([16, 256, 16, 1], "standard", seed)
        new = lipschitz_search(Ws, 2, seed, samples=64, restarts=4, steps=15).value
        old = ntk.lipschitz_lower_estimate(Ws, 2, seed, samples=512, ascent_steps=40, starts=8).value
        assert new > old, (seed, new, old)


def test_search_k1_and_bad_input():
    Ws = ntk.init_weights([6, 9, 4, 1], rng=2)
    est = lipschitz_search(Ws, 1, 0, samples=4, restarts=2, steps=2)
    assert est.value == pytest.approx(np.linalg.svd(Ws[0], compute_uv=False)[0], rel=1e-12)
    with pytest.raises(ValueError, match="rng"):
        lipschitz_search(Ws, 2, None)
    with pytest.raises(ValueError, match="temperatures"):
        lipschitz_search(Ws, 2, 0, temperatures=(0.1,))
    with pytest.raises(ValueError, match="samples"):
        lipschitz_search(Ws, 2, 0, samples=0)
