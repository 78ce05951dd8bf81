"""The limiting NTK ``K^(L)`` of a deep ReLU network and the arc-cosine kernels (THEOREMS.md §1).

Recursion (all ``β_l = 1``): ``G^(1) = X Xᵀ``, ``K^(1) = G^(1)``; for ``l = 2..L`` with
``θ = arccos(G_ij / √(G_ii G_jj))`` taken from ``G^(l-1)``::

    G^(l)_ij = √(G_ii G_jj) (sin θ + (π − θ) cos θ) / π,    Ġ^(l)_ij = (π − θ) / π,
    K^(l)    = K^(l-1) ∘ Ġ^(l) + G^(l).

These closed forms are exact (Lemma 3.1 with the arc-cosine integrals of Cho & Saul).

Numerics. ``arccos`` is ill-conditioned at ``ρ = ±1`` (near-duplicate or antipodal rows), so the
recursion carries, for every pair, both ``ρ = cos θ`` and ``δ = 1 − ρ`` computed without
cancellation: the input angle is ``2·atan2(‖u−v‖, ‖u+v‖)`` for unit rows with ``|ρ| > 1/2``, and
``1 − ρ^(l) = δ + (θ cos θ − sin θ)/π`` is evaluated with its Taylor series for small ``θ``.
After the first layer ``ρ ∈ [0, 1]`` (``θ ≤ π/2``), so ``θ = 2 asin(√(δ/2))`` is well
conditioned. The diagonal is set exactly (``G_ii = ‖x_i‖²``, ``Ġ_ii = 1``) and every matrix is
exactly symmetric: only the upper triangle is evaluated, in cache-sized row blocks, and mirrored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_data, check_depth, nonzero_row_norms

__all__ = [
    "LimitingNTK",
    "arccos_kernels",
    "input_angles",
    "limiting_ntk",
    "relu_derivative_expectation",
    "relu_expectation",
]

_BLOCK = 64  # rows per block: a 64 × N float64 slab of temporaries stays in L2 for N ≲ 4096
_SMALL_ANGLE = 0.6  # below it θcosθ − sinθ is summed as a series (see _theta_cos_minus_sin)
# θcosθ − sinθ = −Σ_{k≥1} (−1)^{k+1} 2k θ^{2k+1}/(2k+1)!; with 8 terms the truncation error at
# θ = 0.6 is below 1e-17 relative.
_SERIES = np.array([(-1.0) ** (k + 1) * 2 * k / float(np.prod(np.arange(1, 2 * k + 2))) for k in range(1, 9)])


def _theta_cos_minus_sin(theta: np.ndarray, rho: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``θ cos θ − sin θ`` (≤ 0) without cancellation for small ``θ`` (relative error ~ eps)."""
    direct = theta * rho - s
    t2 = theta * theta
    poly = np.full_like(theta, _SERIES[-1])
    for c in _SERIES[-2::-1]:
        poly *= t2
        poly += c
    series = -(poly * t2 * theta)
    return np.where(theta < _SMALL_ANGLE, series, direct)


def _layer(theta, s, rho, one_minus_rho):
    """One arc-cosine step from angle data to ``(Ġ, ρ', 1 − ρ')`` (elementwise, exact formulas)."""
    gdot = 1.0 - theta / np.pi
    rho_next = (s + (np.pi - theta) * rho) / np.pi
    delta_next = one_minus_rho + _theta_cos_minus_sin(theta, rho, s) / np.pi
    np.clip(rho_next, 0.0, 1.0, out=rho_next)
    np.clip(delta_next, 0.0, 1.0, out=delta_next)
    return gdot, rho_next, delta_next


def _angle_from_delta(delta):
    """``θ, sin θ`` from ``δ = 1 − cos θ ∈ [0, 1]`` (well conditioned for θ ≤ π/2)."""
    theta = 2.0 * np.arcsin(np.sqrt(0.5 * delta))
    s = np.sqrt(delta * (2.0 - delta))
    return theta, s


def input_angles(X) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise angles ``θ_ij`` between the rows of ``X`` and their norms (exactly symmetric).

    ``θ = arccos ρ`` where ``|ρ| ≤ 1/2`` (well conditioned there); elsewhere
    ``θ = 2·atan2(‖u−v‖, ‖u+v‖)`` from the unit rows, accurate to a few ulps even for
    near-duplicate or antipodal rows. Zero rows are an error.
    """
    X = as_data(X)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, d), got {X.shape}")
    norms = nonzero_row_norms(X)
    U = X / norms[:, None]
    rho = U @ U.T
    np.clip(rho, -1.0, 1.0, out=rho)
    theta = np.arccos(rho)
    iu, ju = np.nonzero(np.triu(np.abs(rho) > 0.5, 1))
    for a in range(0, iu.size, 1 << 16):
        i, j = iu[a : a + (1 << 16)], ju[a : a + (1 << 16)]
        diff = np.linalg.norm(U[i] - U[j], axis=1)
        summ = np.linalg.norm(U[i] + U[j], axis=1)
        theta[i, j] = 2.0 * np.arctan2(diff, summ)
    theta = np.triu(theta, 1)
    theta += theta.T
    return theta, norms


def arccos_kernels(theta: np.ndarray):
    """``(κ_1(θ), κ_0(θ))`` with ``κ_1 = (sin θ + (π−θ) cos θ)/π`` and ``κ_0 = (π−θ)/π`` (exact).

    ``2E[σ(u)σ(v)] = ‖a‖‖b‖ κ_1(θ)`` and ``2E[σ'(u)σ'(v)] = κ_0(θ)`` for a Gaussian pair with
    covariance ``[[‖a‖², ⟨a,b⟩], [⟨a,b⟩, ‖b‖²]]`` and angle ``θ`` between ``a`` and ``b``.
    """
    theta = np.asarray(theta, dtype=np.float64)
    if np.any(~np.isfinite(theta)) or np.any(theta < 0) or np.any(theta > np.pi):
        raise ValueError("theta must lie in [0, π]")
    return (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / np.pi, (np.pi - theta) / np.pi


def _relu_gram(F, beta, derivative: bool):
    F = as_data(F, "F")
    if F.ndim != 2:
        raise ValueError(f"F must have shape (N, n), got {F.shape}")
    beta = float(beta)
    if not np.isfinite(beta) or beta < 0:
        raise ValueError(f"beta must be finite and >= 0, got {beta!r}")
    norms = np.sqrt(np.einsum("ij,ij->i", F, F))
    live = norms > 0
    out = np.zeros((F.shape[0], F.shape[0]))
    if live.any():
        theta, nrm = input_angles(F[live])
        k1, k0 = arccos_kernels(theta)
        sub = k0 / 2 if derivative else beta**2 * np.outer(nrm, nrm) * k1 / 2
        out[np.ix_(live, live)] = sub
    return out


def relu_expectation(F, beta: float = 1.0) -> np.ndarray:
    """``E_{w~N(0,β²I)}[σ(Fw)σ(Fw)ᵀ]`` in closed form (exact): ``β²‖a‖‖b‖ κ_1(θ)/2`` for rows ``a, b``.

    Zero rows (dead features) give zero rows and columns, as the expectation does.
    This is the matrix of Lemmas 5.2 and 5.3; ``G^(2) = 2 relu_expectation(X)``.
    """
    return _relu_gram(F, beta, derivative=False)


def relu_derivative_expectation(F) -> np.ndarray:
    """``E_{w~N(0,I)}[σ'(Fw)σ'(Fw)ᵀ] = κ_0(θ)/2`` (exact; zero rows give zero, as ``σ'(0) = 0``)."""
    return _relu_gram(F, 1.0, derivative=True)


@dataclass(frozen=True)
class LimitingNTK:
    """All matrices of the recursion, 1-indexed as in the paper.

    ``G[l]``, ``K[l]`` for ``l = 1..L`` and ``Gdot[l]`` for ``l = 2..L`` (``Gdot[1]`` is ``None``).
    Index 0 of each list is ``None`` so that ``G[l]`` reads like ``G^(l)``.
    """

    G: list
    Gdot: list
    K: list

    @property
    def depth(self) -> int:
        return len(self.K) - 1

    @property
    def ntk(self) -> np.ndarray:
        """``K^(L)``."""
        return self.K[-1]


def limiting_ntk(X, depth: int, *, block: int = _BLOCK) -> LimitingNTK:
    """The limiting NTK ``K^(L)`` of a depth-``L`` ReLU network and every ``G^(l)``, ``Ġ^(l)``, ``K^(l)``.

    Exact closed forms (no quadrature, no sampling); numerically stable as ``ρ → ±1``, exactly
    symmetric, ``G^(l)_ii = ‖x_i‖²`` and ``Ġ^(l)_ii = 1`` exactly. Rows of ``X`` must be nonzero.
    """
    L = check_depth(depth)
    theta1, norms = input_angles(X)
    X = np.asarray(X, dtype=np.float64)
    N = X.shape[0]
    G = [None, gram_exact(X)]
    K = [None, G[1].copy()]
    Gd = [None, None]
    for _ in range(2, L + 1):
        G.append(np.empty((N, N)))
        Gd.append(np.empty((N, N)))
        K.append(np.empty((N, N)))
    # state per block: off-diagonal (ρ, δ) of the previous layer
    for a in range(0, N, block):
        b = min(a + block, N)
        th = theta1[a:b, a:]
        s = np.sin(th)
        rho = np.cos(th)
        delta = 2.0 * np.sin(0.5 * th) ** 2
        nn = np.outer(norms[a:b], norms[a:])
        k_prev = K[1][a:b, a:]
        for l in range(2, L + 1):
            gdot, rho, delta = _layer(th, s, rho, delta)
            g = nn * rho
            k = k_prev * gdot
            k += g
            for M, blockval in ((G[l], g), (Gd[l], gdot), (K[l], k)):
                M[a:b, a:] = blockval
                M[b:, a:b] = blockval[:, b - a :].T
            k_prev = k
            if l < L:
                th, s = _angle_from_delta(delta)
    idx = np.arange(N)
    sq = norms**2
    for l in range(2, L + 1):
        G[l][idx, idx] = sq
        Gd[l][idx, idx] = 1.0
        K[l][idx, idx] = l * sq  # K^(l)_ii = K^(l-1)_ii · 1 + ‖x_i‖²
    return LimitingNTK(G=G, Gdot=Gd, K=K)


def gram_exact(X: np.ndarray) -> np.ndarray:
    """``X Xᵀ`` exactly symmetric with the diagonal equal to the row norms squared as computed."""
    G = X @ X.T
    G = np.triu(G)
    G += np.triu(G, 1).T
    return G
