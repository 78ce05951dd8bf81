"""Networks, weights and back-propagated rows (THEOREMS.md §1, "Setup and conventions").

Checked against :func:`reference.forward_ref` (per-sample loop) and the explicit product formula for the
rows of ``B_k``. A forward pass is a chain of dot products; computed in two different orders the results
agree to ``2γ S`` with ``γ = (Σ_l n_{l-1}) eps`` and ``S`` the absolute-value chain
(:func:`reference.abs_chain`) — standard forward error analysis, ReLU being exact.
"""

from __future__ import annotations

import numpy as np
import pytest

import ntk
from tests.ntk import reference as R

EPS = R.EPS


@pytest.mark.parametrize("widths,N,seed", [([4, 6, 5, 1], 5, 0), ([3, 2, 1], 4, 1), ([6, 8, 3, 9, 1], 3, 2)])
def test_forward_matches_per_sample_reference(widths, N, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, widths[0]))
    W = ntk.init_weights(widths, rng=rng)
    fwd = ntk.forward(X, W)
    L = len(widths) - 1
    assert fwd.depth == L and len(fwd.features) == L and len(fwd.masks) == L - 1
    assert np.array_equal(fwd.features[0], X)
    gam = sum(widths[:-1]) * EPS
    for i, x in enumerate(X):
        pre = R.forward_ref(x, W)
        # majorant of every partial sum up to layer l
        ga = np.abs(x)
        for l in range(L):
            ga = np.abs(W[l]).T @ ga
            assert np.all(np.abs(fwd.pre[l][i] - pre[l]) <= 2 * gam * ga)
            if l < L - 1:
                assert np.array_equal(fwd.masks[l][i], (pre[l] > 0).astype(float))
                assert np.array_equal(fwd.features[l + 1][i], np.maximum(fwd.pre[l][i], 0))
                ga = ga * (pre[l] > 0)
        assert abs(fwd.output[i] - pre[-1][0]) <= 2 * gam * R.abs_chain(x, W)


def test_relu_derivative_at_zero_is_zero():
    """σ'(0) = 0: a pre-activation that is exactly 0 gets mask 0 and contributes nothing to J."""
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    W1 = np.array([[0.0, 1.0, -1.0], [1.0, 0.0, 2.0]])  # g_1(x_1) = (0, 1, -1): first unit exactly at 0
    W2 = np.array([[1.0], [2.0], [3.0]])
    fwd = ntk.forward(X, [W1, W2])
    assert fwd.masks[0][0, 0] == 0.0 and fwd.masks[0][1, 0] == 1.0
    B = ntk.backprop_rows(fwd, [W1, W2])
    assert B[0][0, 0] == 0.0
    J = ntk.jacobian(X, [W1, W2])
    # ∂f/∂W_1[a, 0] at x_1 is x_1[a]·σ'(0)·W_2[0] = 0
    assert J[0, 0] == 0.0 and J[0, 3] == 0.0


@pytest.mark.parametrize("widths,N,seed", [([4, 6, 5, 1], 5, 0), ([3, 7, 1], 4, 1), ([6, 8, 3, 9, 1], 3, 2)])
def test_backprop_rows_match_explicit_product(widths, N, seed):
    """Row ``i`` of ``B_k`` is ``Σ_k(x_i) (Π_{l=k+1}^{L-1} W_l Σ_l(x_i)) W_L`` (explicit diagonal matrices);
    ``B_L = 1_N``. Products of ``L − k`` factors: error ≤ ``γ`` times the absolute product."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, widths[0]))
    W = ntk.init_weights(widths, rng=rng)
    L = len(widths) - 1
    fwd = ntk.forward(X, W)
    B = ntk.backprop_rows(fwd, W)
    assert len(B) == L
    assert np.array_equal(B[-1], np.ones((N, 1)))
    gam = sum(widths) * EPS
    for i, x in enumerate(X):
        pre = R.forward_ref(x, W)
        D = [np.diag((g > 0).astype(float)) for g in pre[:-1]]
        for k in range(1, L):
            M, Ma = D[k - 1], D[k - 1]
            for l in range(k + 1, L):
                M = M @ W[l - 1] @ D[l - 1]
                Ma = Ma @ np.abs(W[l - 1]) @ D[l - 1]
            row, rowa = (M @ W[L - 1])[:, 0], (Ma @ np.abs(W[L - 1]))[:, 0]
            assert np.all(np.abs(B[k - 1][i] - row) <= 2 * gam * rowa)


def test_init_weights_shapes_presets_and_reproducibility():
    widths = [5, 7, 3, 1]
    W = ntk.init_weights(widths, rng=42)
    assert [w.shape for w in W] == [(5, 7), (7, 3), (3, 1)]
    assert all(np.array_equal(a, b) for a, b in zip(W, ntk.init_weights(widths, rng=42)))
    g = np.random.default_rng(42)
    W2 = ntk.init_weights(widths, rng=g)
    assert all(np.array_equal(a, b) for a, b in zip(W, W2))
    assert ntk.resolve_betas(widths) == (1.0, 1.0, 1.0)
    he = ntk.resolve_betas(widths, "he")
    lecun = ntk.resolve_betas(widths, "lecun")
    for l, n in enumerate(widths[:-1]):
        assert he[l] == pytest.approx(np.sqrt(2 / n), rel=EPS)
        assert lecun[l] == pytest.approx(1 / np.sqrt(n), rel=EPS)
    Wh = ntk.init_weights(widths, betas="he", rng=42)
    for a, b, beta in zip(W, Wh, he):
        assert np.allclose(b, beta * a, rtol=EPS, atol=0)
    assert ntk.resolve_betas(widths, 0.5) == (0.5, 0.5, 0.5)
    assert ntk.resolve_betas(widths, [0.0, 1.0, 2.0]) == (0.0, 1.0, 2.0)
    with pytest.raises(ValueError, match="rng"):
        ntk.init_weights(widths)


def test_init_weights_variance():
    """Entries are N(0, β²): the sample variance of m = 10⁶ entries has standard error β²√(2/m)
    (Gaussian fourth moment); k = 6.1 standard errors ⇒ two-sided false-failure probability < 1e-9."""
    beta = 0.3
    W = ntk.init_weights([1000, 1000, 1], betas=[beta, 1.0], rng=7)[0]
    m = W.size
    se = beta**2 * np.sqrt(2 / m)
    assert abs(W.var() - beta**2) <= 6.1 * se
    assert abs(W.mean()) <= 6.1 * beta / np.sqrt(m)


def test_init_weights_batch_shapes_and_independence():
    Wb = ntk.init_weights_batch([4, 6, 1], rng=3, trials=4)
    assert [w.shape for w in Wb] == [(4, 4, 6), (4, 6, 1)]
    assert not np.array_equal(Wb[0][0], Wb[0][1])
    assert all(np.array_equal(a, b) for a, b in zip(Wb, ntk.init_weights_batch([4, 6, 1], rng=3, trials=4)))
