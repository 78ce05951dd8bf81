"""Empirical NTK ``K̄ = J Jᵀ`` of a bias-free deep ReLU network, without forming ``J``.

Layerwise identity (THEOREMS.md §1, proof of Thm 4.1; exact)::

    K̄ = Σ_{k=0}^{L-1} (F_k F_kᵀ) ∘ (B_{k+1} B_{k+1}ᵀ),     B_L = 1_N.

It follows from ``∂f_L(x)/∂W_{k+1} = f_k(x) ⊗ b_{k+1}(x)`` (``b_{k+1}`` the row of ``B_{k+1}``), so
the ``W_{k+1}`` block of ``⟨J_i, J_j⟩`` is ``⟨f_k(x_i), f_k(x_j)⟩⟨b_{k+1}(x_i), b_{k+1}(x_j)⟩``.
Cost: ``Σ_k N²(n_k + n_{k+1})`` multiply-adds with symmetric Grams, memory ``O(N² + N Σ n_k)``;
the ``N × P`` Jacobian is never allocated. :func:`jacobian` forms it explicitly, by a different route
(per-sample chain rule with explicit diagonal matrices), for small cross-checks only.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_data, as_weights
from .network import Forward, backprop_rows, forward

__all__ = [
    "empirical_ntk",
    "empirical_ntk_terms",
    "gram",
    "jacobian",
    "limit_scaling",
    "parameter_count",
]


def gram(A: np.ndarray) -> np.ndarray:
    """``A Aᵀ`` over the last two axes, exactly symmetric.

    For a 2-D C-contiguous ``A`` numpy dispatches ``A @ A.T`` to BLAS ``syrk`` (half the flops of a
    general product) and mirrors the triangle, so the result is exactly symmetric. Batched inputs use
    ``matmul`` and are symmetrised explicitly.
    """
    A = np.ascontiguousarray(A)
    if A.ndim == 2:
        return A @ A.T
    G = A @ np.swapaxes(A, -1, -2)
    G += np.swapaxes(G, -1, -2)
    G *= 0.5
    return G


def _terms(fwd: Forward, Bs: list[np.ndarray]):
    """Yield ``(F_k F_kᵀ) ∘ (B_{k+1} B_{k+1}ᵀ)`` for ``k = 0..L-1`` (each a fresh array)."""
    L = fwd.depth
    for k in range(L):
        T = gram(fwd.features[k])
        if k + 1 < L:  # B_L B_Lᵀ = 1 1ᵀ: nothing to multiply
            BB = gram(Bs[k])
            if BB.shape == T.shape:
                T *= BB
            else:  # unbatched X (F_0 = X) with batched weights
                T = T * BB
        elif T.shape[:-2] != Bs[-1].shape[:-2]:
            T = np.broadcast_to(T, Bs[-1].shape[:-2] + T.shape[-2:]).copy()
        yield T


def empirical_ntk_terms(X, weights) -> list[np.ndarray]:
    """The ``L`` layer terms ``(F_k F_kᵀ) ∘ (B_{k+1} B_{k+1}ᵀ)``, ``k = 0..L-1`` (exact).

    Term ``k`` is the contribution of the parameters ``W_{k+1}``; their sum is :func:`empirical_ntk`.
    Shapes ``(..., N, N)``; leading axes broadcast over batched weights (:func:`ntk.init_weights_batch`).
    """
    fwd = forward(X, weights)
    return list(_terms(fwd, backprop_rows(fwd, weights)))


def empirical_ntk(X, weights) -> np.ndarray:
    """``K̄ = J Jᵀ`` by the layerwise identity; exactly symmetric, shape ``(..., N, N)`` (exact).

    Not normalised: multiply by :func:`limit_scaling` to compare with the limiting NTK ``K^(L)``
    when all ``β_l = 1``.
    """
    fwd = forward(X, weights)
    K = None
    for T in _terms(fwd, backprop_rows(fwd, weights)):
        if K is None:
            K = T
        else:
            K += T
    return K


def limit_scaling(widths) -> float:
    """``Π_{l=1}^{L-1} 2/n_l``: the factor with ``(Π 2/n_l) K̄ → K^(L)`` (all ``β_l = 1``)."""
    hidden = np.asarray(list(widths)[1:-1], dtype=np.float64)
    return float(np.prod(2.0 / hidden))


def parameter_count(weights) -> int:
    """``P = Σ_l n_{l-1} n_l``, the number of columns of the Jacobian."""
    return int(sum(W.shape[-2] * W.shape[-1] for W in weights))


def jacobian(X, weights) -> np.ndarray:
    """The explicit Jacobian ``J = ∂F_L/∂θ ∈ R^{N×P}`` — small cases and cross-checks only.

    Independent of :func:`empirical_ntk`'s recursion: for every sample the chain rule is evaluated
    with explicit diagonal matrices ``D_l = diag(σ'(g_l(x)))``,
    ``∂f_L/∂W_{k+1} = f_k ⊗ (D_{k+1} W_{k+2} D_{k+2} ⋯ W_L)``. Parameters are ordered
    ``vec(W_1), …, vec(W_L)``, each flattened row-major. Unbatched weights only.
    """
    X = as_data(X)
    Ws = as_weights(weights, d=X.shape[-1])
    if X.ndim != 2 or Ws[0].ndim != 2:
        raise ValueError("jacobian takes unbatched X (N, d) and weights (n_{l-1}, n_l)")
    if Ws[-1].shape[1] != 1:
        raise ValueError(f"the output width n_L must be 1, got W_L of shape {Ws[-1].shape}")
    L = len(Ws)
    N = X.shape[0]
    rows = []
    for i in range(N):
        f = [X[i]]
        D = []
        for l in range(L - 1):
            g = Ws[l].T @ f[-1]
            D.append(np.diag((g > 0).astype(np.float64)))
            f.append(D[-1] @ g)
        blocks = []
        for k in range(L):
            # v = D_{k+1} W_{k+2} D_{k+2} ... W_L  (for k = L-1: the scalar 1)
            v = np.ones((1, 1))
            for l in range(L - 1, k, -1):  # build from the output backwards: W_{l+1}, then D_l
                v = D[l - 1] @ (Ws[l] @ v)
            blocks.append(np.outer(f[k], v[:, 0]).ravel())
        rows.append(np.concatenate(blocks))
    return np.asarray(rows)
