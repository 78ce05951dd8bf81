"""Tests of ntk.regions: the exact Lipschitz constant of g_k by activation-region enumeration (Lemma 6.1).

Tolerances: the exact value is an SVD of a product of ``k`` small matrices, relative error
``≤ (Σ n_l + d)·eps``; every tolerance below is ``TOL(ws, k) = 8·(Σ_{l≤k} n_l + d)·eps`` relative (factor 8
covers the product's and the SVD's first-order constants), unless stated.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ntk
from ntk.regions import activation_regions, exact_lipschitz

from ..helpers import examples

EPS = np.finfo(np.float64).eps


def TOL(Ws, k):
    return 8.0 * (sum(W.shape[1] for W in Ws[:k]) + Ws[0].shape[0]) * EPS


@st.composite
def small_nets(draw, d_max=3, width_max=5, depth_max=3):
    d = draw(st.integers(1, d_max))
    L = draw(st.integers(2, depth_max))
    widths = [d] + [draw(st.integers(1, width_max)) for _ in range(L - 1)] + [draw(st.integers(1, 3))]
    k = draw(st.integers(1, L))
    seed = draw(st.integers(0, 2**32 - 1))
    return ntk.init_weights(widths, "standard", np.random.default_rng(seed)), k


def test_hand_computed_d1():
    """d = 1, W_1 = [1, −2], W_2 = [3, 4]ᵀ: z > 0 activates neuron 1 (slope 3), z < 0 neuron 2 (slope −8)."""
    Ws = [np.array([[1.0, -2.0]]), np.array([[3.0], [4.0]])]
    r = exact_lipschitz(Ws, 2)
    assert r.regions == 2 and r.strict_regions == 2
    assert abs(r.value - 8.0) <= 8.0 * TOL(Ws, 2)
    assert r.best.witness[0] < 0  # attained on the negative half-line


def test_hand_computed_abs():
    """g_2(z) = σ(z) + σ(−z) = |z|: Lipschitz constant 1, while the naive bound is √2·√2 = 2."""
    Ws = [np.array([[1.0, -1.0]]), np.array([[1.0], [1.0]])]
    r = exact_lipschitz(Ws, 2)
    assert abs(r.value - 1.0) <= TOL(Ws, 2)
    assert abs(ntk.naive_lipschitz_upper(Ws, 2) - 2.0) <= 4 * EPS


def test_hand_computed_quadrants():
    """d = 2, W_1 = I, W_2 = [1, 2]ᵀ: four quadrant regions with Jacobians (1,2), (1,0), (0,2), (0,0)."""
    Ws = [np.eye(2), np.array([[1.0], [2.0]])]
    regs, _ = activation_regions(Ws, 2)
    norms = sorted(round(r.opnorm**2, 12) for r in regs)
    assert norms == [0.0, 1.0, 4.0, 5.0]
    assert abs(exact_lipschitz(Ws, 2).value - math.sqrt(5.0)) <= 4 * TOL(Ws, 2)


@given(net=small_nets())
@settings(max_examples=examples(15, 30, 200))
def test_k1_is_operator_norm(net):
    Ws, _ = net
    r = exact_lipschitz(Ws, 1)
    assert r.lps == 0 and r.regions == 1
    assert r.value == pytest.approx(np.linalg.norm(Ws[0], 2), rel=TOL(Ws, 1))


@given(net=small_nets())
@settings(max_examples=examples(15, 30, 200))
def test_never_exceeds_naive_and_dominates_samples(net):
    """lower estimates ≤ exact ≤ Π‖W_l‖_op (both sides certified)."""
    Ws, k = net
    r = exact_lipschitz(Ws, k)
    tol = TOL(Ws, k) * max(r.value, 1e-300)
    assert r.value <= ntk.naive_lipschitz_upper(Ws, k) * (1 + TOL(Ws, k)) + tol
    est = ntk.lipschitz_lower_estimate(Ws, k, np.random.default_rng(0), samples=256)
    assert est.value <= r.value + tol


@given(seed=st.integers(0, 2**32 - 1), n1=st.integers(1, 6), n2=st.integers(1, 6), k=st.sampled_from([2, 3]))
@settings(max_examples=examples(10, 20, 100))
def test_agrees_with_dense_circle_sampling(seed, n1, n2, k):
    """d = 2: on nested angle grids of 2^m points the sampled max of pattern-Jacobian norms is
    non-decreasing and never above the exact value; once the grid step is below the angular radius of the
    maximising region's certified ball (≥ margin/‖witness‖, the LP witness), it equals the exact value."""
    Ws = ntk.init_weights([2, n1, n2, 1], "standard", np.random.default_rng(seed))
    r = exact_lipschitz(Ws, k)
    tol = TOL(Ws, k) * max(r.value, 1e-300)
    prev = -np.inf
    for m in range(6, 15, 2):
        th = 2 * np.pi * np.arange(2**m) / 2**m
        Z = np.stack([np.cos(th), np.sin(th)], axis=1)
        J, margin = ntk.pattern_jacobian(Z, Ws, k)
        norms = np.where(margin > 0, np.linalg.norm(J, ord=2, axis=(1, 2)), 0.0)
        smax = float(norms.max())
        assert smax <= r.value + tol
        assert smax >= prev - tol
        prev = smax
        radius = min(r.best.margin, 1.0) / np.linalg.norm(r.best.witness)
        if 2 * np.pi / 2**m < radius:  # some grid angle lies inside the maximising cone
            assert smax >= r.value - tol


@given(net=small_nets(), c=st.floats(0.1, 10.0), col=st.integers(0, 10))
@settings(max_examples=examples(10, 20, 100))
def test_invariances(net, c, col):
    """(a) scaling neuron j's incoming weights (column j of W_l) by c > 0 and its outgoing weights (row j of
    W_{l+1}) by 1/c leaves g_k and hence ‖g_k‖_Lip unchanged (positive homogeneity of ReLU), and the set of
    regions too; (b) scaling W_1 by c scales ‖g_k‖_Lip by c; (c) an orthogonal change of input coordinates
    (W_1 → Q W_1) leaves it unchanged."""
    Ws, k = net
    r = exact_lipschitz(Ws, k)
    tol = 4 * TOL(Ws, k) * max(r.value, 1e-300)
    if k >= 2:
        j = col % Ws[0].shape[1]
        V = [W.copy() for W in Ws]
        V[0][:, j] *= c
        V[1][j, :] /= c
        rv = exact_lipschitz(V, k)
        assert rv.regions == r.regions
        assert abs(rv.value - r.value) <= tol
    V = [W.copy() for W in Ws]
    V[0] *= c
    assert abs(exact_lipschitz(V, k).value - c * r.value) <= c * tol
    d = Ws[0].shape[0]
    Q, _ = np.linalg.qr(np.random.default_rng(col).standard_normal((d, d)))
    V = [Q @ Ws[0]] + [W.copy() for W in Ws[1:]]
    assert abs(exact_lipschitz(V, k).value - r.value) <= tol


def test_dead_layer_gives_zero():
    """W_2 ≤ 0 after σ ≥ 0: g_2(z) = −|z|(1, 1) < 0 for z ≠ 0, so layer 2 is dead (strictly negative) everywhere:
    g_3 ≡ 0 and Lip = 0 on strict regions (Lemma 6.1 holds with value 0)."""
    Ws = [np.array([[1.0, -1.0]]), -np.ones((2, 2)), np.ones((2, 1))]
    r = exact_lipschitz(Ws, 3)
    assert r.value == 0.0 and r.strict_value == 0.0 and r.regions == 2


def test_identically_zero_preactivation_is_not_strict():
    """A zero column in W_2 makes neuron 2 of layer 2 vanish on all of R: no region is strict (Lemma 6.1's
    set is empty, its a.s. hypothesis fails) while g_3(z) = |z| has Lipschitz constant 1."""
    Ws = [np.array([[1.0, -1.0]]), np.array([[1.0, 0.0], [1.0, 0.0]]), np.ones((2, 1))]
    r = exact_lipschitz(Ws, 3)
    assert r.strict_value is None and abs(r.value - 1.0) <= TOL(Ws, 3)


@pytest.mark.parametrize("bad", [
    lambda Ws: exact_lipschitz(Ws, 0),
    lambda Ws: exact_lipschitz(Ws, 4),
    lambda Ws: exact_lipschitz(Ws, 2, margin_tol=0.0),
    lambda Ws: exact_lipschitz([Ws[0]], 1),
    lambda Ws: exact_lipschitz([np.stack([W, W]) for W in Ws], 2),
    lambda Ws: exact_lipschitz([Ws[0] * np.nan, Ws[1], Ws[2]], 2),
])
def test_invalid_input(bad):
    Ws = ntk.init_weights([2, 3, 3, 1], "standard", np.random.default_rng(0))
    with pytest.raises((ValueError, TypeError)):
        bad(Ws)


def test_max_regions_guard():
    Ws = ntk.init_weights([2, 8, 8, 1], "standard", np.random.default_rng(0))
    with pytest.raises(RuntimeError):
        exact_lipschitz(Ws, 3, max_regions=3)
