"""Lipschitz estimates of the pre-activation maps ``g_k`` (Lemma 6.1, Thm 6.2; THEOREMS.md §1).

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
