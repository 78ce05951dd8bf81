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

from ._validate import as_data, as_weights, check_widths
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

    A 2-D float64 ``A`` takes the lower triangle tile by tile with GEMM (:func:`_lower_tiles`; about half the
    flops of the full product, like BLAS ``syrk``, and faster than numpy's own syrk route for
    ``A @ A.T``, which mirrors the triangle element by element) and mirrors it, so the result is
    exactly symmetric. Batched inputs use ``matmul`` and are symmetrised explicitly.
    """
    A = np.ascontiguousarray(A)
    if A.ndim == 2 and A.dtype == np.float64:
        N = A.shape[0]
        G = np.empty((N, N))
        for r0, r1, c0, c1 in _lower_tiles(N):
            np.matmul(A[r0:r1], A[c0:c1].T, out=G[r0:r1, c0:c1])
            _mirror_tile(G, r0, r1, c0, c1)
        return G
    if A.ndim == 2:  # other dtypes: numpy's product (syrk for floating types) keeps the dtype
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

    Unbatched inputs take a fused path (:func:`_empirical_ntk_2d`): only the lower triangle of every
    Gram is computed, tile by tile, and the Hadamard product and the layer sum are taken while the tile
    is in cache, so the only ``N × N`` array is the result; batched inputs sum :func:`_terms`.
    """
    X = as_data(X)
    Ws = as_weights(weights, d=X.shape[-1])
    if X.ndim == 2 and Ws[0].ndim == 2:
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported by _finite
            return _finite(_empirical_ntk_2d(X, Ws))
    fwd = forward(X, Ws)
    K = None
    for T in _terms(fwd, backprop_rows(fwd, Ws)):
        if K is None:
            K = T
        else:
            K += T
    return _finite(K)


# Tiling of the lower triangle for the fused path (see _lower_tiles): row panels of _PANEL rows, the
# diagonal squares computed whole once at most _DIAG rows (the redundant upper halves cost N·_DIAG/2
# of the N²/2 products). Tuned on a 2-core AVX-512 machine with OpenBLAS (benchmarks/bench_ntk.py).
_PANEL = 512
_DIAG = 128


def _lower_tiles(N: int, panel: int = _PANEL, diag: int = _DIAG) -> list[tuple[int, int, int, int]]:
    """Rectangles ``(r0, r1, c0, c1)`` covering the lower triangle (diagonal included) of an ``N × N``.

    Row panels ``[a:b]``: the part left of the diagonal as one tile ``(a, b, 0, a)``; the diagonal
    square ``[a:b] × [a:b]`` halved recursively (its lower-left quarter a tile) down to squares of at
    most ``diag`` rows, which are computed whole. Every tile is either strictly below the diagonal
    (``c1 <= r0``) or such a diagonal square (``r0 == c0``, ``r1 == c1``).
    """
    tiles = []

    def square(a, b):
        if b - a <= diag:
            tiles.append((a, b, a, b))
            return
        mid = a + (b - a) // 2
        square(a, mid)
        tiles.append((mid, b, a, mid))
        square(mid, b)

    for a in range(0, N, panel):
        b = min(a + panel, N)
        if a:
            tiles.append((a, b, 0, a))
        square(a, b)
    return tiles


def _mirror_tile(K: np.ndarray, r0: int, r1: int, c0: int, c1: int) -> None:
    """Copy the final lower-triangle tile ``K[r0:r1, c0:c1]`` of :func:`_lower_tiles` onto the upper triangle.

    A pure copy (exact symmetry): a tile below the diagonal is transposed into ``K[c0:c1, r0:r1]``; a
    diagonal square takes its lower triangle on both sides. The destinations are never written by
    another tile, and the tile is still in cache.
    """
    if c1 <= r0:
        K[c0:c1, r0:r1] = K[r0:r1, c0:c1].T
    else:  # a diagonal square: r0 == c0, r1 == c1
        sq = K[r0:r1, r0:r1]
        iu = np.triu_indices(r1 - r0, 1)
        sq[iu] = sq.T[iu]


def _features_and_rows(X: np.ndarray, Ws: list[np.ndarray]):
    """``F_0..F_{L-1}`` and ``B_1..B_{L-1}`` for unbatched inputs, in place where possible.

    Same quantities as :func:`ntk.forward` / :func:`ntk.backprop_rows` (``σ(g) = max(g, 0)``, and
    ``σ'(g_k) = 1[F_k > 0]`` since ``F_k > 0 ⇔ g_k > 0``), without storing pre-activations or masks.
    """
    L = len(Ws)
    if Ws[-1].shape[-1] != 1:
        raise ValueError(f"the output width n_L must be 1 for the NTK, got W_L of shape {Ws[-1].shape}")
    Fs = [X]
    f = X
    for l in range(L - 1):
        f = f @ Ws[l]
        np.maximum(f, 0.0, out=f)
        Fs.append(f)
    Bs = [None] * (L - 1)
    b = np.multiply(Fs[L - 1] > 0, Ws[L - 1][:, 0])  # B_{L-1} = Σ_{L-1} ∘ (1_N W_Lᵀ)
    Bs[L - 2] = b
    for k in range(L - 2, 0, -1):  # B_k = Σ_k ∘ (B_{k+1} W_{k+1}ᵀ)
        b = b @ Ws[k].T
        np.multiply(b, Fs[k] > 0, out=b)
        Bs[k - 1] = b
    return Fs, Bs


def _empirical_ntk_2d(X: np.ndarray, Ws: list[np.ndarray]) -> np.ndarray:
    """Fused layerwise sum for ``X`` of shape ``(N, d)`` and unbatched weights.

    For every tile of the lower triangle: ``K_t = F_{L-1}[r] F_{L-1}[c]ᵀ + Σ_{k<L-1}
    (F_k[r] F_k[c]ᵀ) ∘ (B_{k+1}[r] B_{k+1}[c]ᵀ)`` with two tile-sized scratch arrays, then the tile is
    mirrored onto the upper triangle (:func:`_mirror_tile`) while it is in cache. Operation count:
    ``N(N + _DIAG)/2 · Σ(n_k + n_{k+1})`` multiply-adds for the Grams plus the forward and backward
    products.
    """
    Fs, Bs = _features_and_rows(X, Ws)
    L = len(Ws)
    N = X.shape[0]
    K = np.empty((N, N))
    tiles = _lower_tiles(N)
    size = max((r1 - r0) * (c1 - c0) for r0, r1, c0, c1 in tiles)
    s1, s2 = np.empty(size), np.empty(size)
    top = Fs[L - 1]
    for r0, r1, c0, c1 in tiles:
        Kt = K[r0:r1, c0:c1]
        np.matmul(top[r0:r1], top[c0:c1].T, out=Kt)
        shape = (r1 - r0, c1 - c0)
        t = s1[: shape[0] * shape[1]].reshape(shape)
        u = s2[: shape[0] * shape[1]].reshape(shape)
        for k in range(L - 2, -1, -1):
            np.matmul(Fs[k][r0:r1], Fs[k][c0:c1].T, out=t)
            np.matmul(Bs[k][r0:r1], Bs[k][c0:c1].T, out=u)
            t *= u
            Kt += t
        _mirror_tile(K, r0, r1, c0, c1)
    return K


def _finite(K: np.ndarray) -> np.ndarray:
    """``K`` if finite; otherwise the inputs were too large for float64 (never a silent inf/NaN)."""
    if not np.all(np.isfinite(K)):
        raise ValueError("X and weights are too large: the empirical NTK overflows float64 "
                         "(rescale X or the weights; K̄ is homogeneous of degree 2 in X and in each W_l)")
    return K


def limit_scaling(widths) -> float:
    """``Π_{l=1}^{L-1} 2/n_l``: the factor with ``(Π 2/n_l) K̄ → K^(L)`` (all ``β_l = 1``)."""
    hidden = np.asarray(check_widths(widths)[1:-1], dtype=np.float64)
    return float(np.prod(2.0 / hidden))


def parameter_count(weights) -> int:
    """``P = Σ_l n_{l-1} n_l``, the number of columns of the Jacobian."""
    return int(sum(W.shape[-2] * W.shape[-1] for W in as_weights(weights)))


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
