"""Empirical NTK against an external reference: ``torch.func`` (``vmap`` + ``jacrev``) in float64.

Skipped, with the reason shown, when the optional ``torch`` dependency (``pip install
ntkverify[reference]``) is missing. Tolerances: both sides compute ``Σ_p J_ip J_jp`` with different
orders, each within ``γ |J||J|ᵀ`` of the exact value (see test_empirical.py), so they agree to
``2γ |J||J|ᵀ`` entrywise; the Jacobians themselves agree to ``2(Σ n_{l-1} + 2L) eps`` times the
absolute-value Jacobian. torch's ReLU backward uses ``σ'(0) = 0``, the paper's convention.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="optional reference dependency torch is not installed")
from torch.func import jacrev, vmap  # noqa: E402

import ntk  # noqa: E402
from tests.ntk import reference as R  # noqa: E402

pytestmark = pytest.mark.reference

EPS = R.EPS


def _torch_jacobian_and_ntk(X, weights):
    params = tuple(torch.tensor(W, dtype=torch.float64) for W in weights)
    Xt = torch.tensor(X, dtype=torch.float64)

    def f(params, x):
        h = x
        for W in params[:-1]:
            h = torch.relu(h @ W)
        return (h @ params[-1])[0]

    jac = vmap(jacrev(f), in_dims=(None, 0))(params, Xt)  # tuple of (N, n_{l-1}, n_l)
    J = torch.cat([j.reshape(X.shape[0], -1) for j in jac], dim=1)
    return J.numpy(), (J @ J.T).numpy()


@pytest.mark.parametrize("widths,N,seed", [([4, 6, 5, 1], 5, 0), ([3, 16, 1], 7, 1), ([8, 10, 12, 9, 1], 6, 2)])
def test_empirical_ntk_matches_torch_func(widths, N, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, widths[0]))
    W = ntk.init_weights(widths, betas="he", rng=rng)
    Jt, Kt = _torch_jacobian_and_ntk(X, W)
    Ja = R.abs_jacobian(X, W)
    J = ntk.jacobian(X, W)
    assert Jt.shape == J.shape
    assert np.all(np.abs(J - Jt) <= 2 * (sum(widths[:-1]) + 2 * len(widths)) * EPS * Ja)
    K = ntk.empirical_ntk(X, W)
    tol = 2 * R.gram_gamma(widths) * (Ja @ Ja.T)
    assert np.all(np.abs(K - Kt) <= tol), np.max(np.abs(K - Kt) / tol)
    assert np.linalg.norm(K - Kt) <= 1e-10 * np.linalg.norm(Kt)
    # layer terms = torch's per-parameter-block Gram matrices
    start = 0
    for k, T in enumerate(ntk.empirical_ntk_terms(X, W)):
        n = widths[k] * widths[k + 1]
        Jk, Jak = Jt[:, start : start + n], Ja[:, start : start + n]
        start += n
        assert np.all(np.abs(T - Jk @ Jk.T) <= 2 * R.gram_gamma(widths) * (Jak @ Jak.T))


def test_batched_ntk_matches_torch_per_network():
    widths, N, T = [5, 7, 6, 1], 4, 3
    rng = np.random.default_rng(9)
    X = rng.standard_normal((N, widths[0]))
    Wb = ntk.init_weights_batch(widths, rng=rng, trials=T)
    Kb = ntk.empirical_ntk(X, Wb)
    for t in range(T):
        Wt = [w[t] for w in Wb]
        _, Kt = _torch_jacobian_and_ntk(X, Wt)
        Ja = R.abs_jacobian(X, Wt)
        assert np.all(np.abs(Kb[t] - Kt) <= 2 * R.gram_gamma(widths) * (Ja @ Ja.T))
