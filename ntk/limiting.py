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

from ._validate import as_data, check_depth, check_positive_int, nonzero_row_norms

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


def _theta_cos_minus_sin(theta: np.ndarray, rho: np.ndarray, s: np.ndarray, out=None) -> np.ndarray:
    """``θ cos θ − sin θ`` (≤ 0) without cancellation for small ``θ`` (relative error ~ eps).

    ``θρ − s`` directly; the series replaces it only at the entries with ``θ < _SMALL_ANGLE`` (evaluated
    on those entries alone, so blocks without small angles pay one comparison). ``out`` may be given
    (it must not alias ``theta``, ``rho`` or ``s``).
    """
    out = np.multiply(theta, rho, out=out)
    out -= s
    small = theta < _SMALL_ANGLE
    if small.any():
        t = theta[small]
        t2 = t * t
        poly = np.full_like(t, _SERIES[-1])
        for c in _SERIES[-2::-1]:
            poly *= t2
            poly += c
        poly *= t2
        poly *= t
        out[small] = -poly
    return out


def _layer(theta, s, rho, one_minus_rho, out=None, scratch=None):
    """One arc-cosine step from angle data to ``(Ġ, ρ', 1 − ρ')`` (elementwise, exact formulas).

    ``Ġ = (π − θ)/π``, ``ρ' = (s + (π − θ)ρ)/π`` and ``1 − ρ' = δ + (θρ − s)/π``. With ``out =
    (gdot, rho_next, delta_next)`` the results are written there; ``rho_next`` may alias ``rho`` and
    ``delta_next`` may alias ``one_minus_rho`` (both are updated in place), ``gdot`` must be distinct.
    ``scratch`` is an optional array of the same shape for ``θρ − s``.
    """
    if out is None:
        out = (None, None, None)
    gdot = np.subtract(np.pi, theta, out=out[0])
    tcs = _theta_cos_minus_sin(theta, rho, s, out=scratch)
    rho_next = np.multiply(gdot, rho, out=out[1])
    rho_next += s
    rho_next /= np.pi
    gdot /= np.pi
    tcs /= np.pi
    delta_next = np.add(one_minus_rho, tcs, out=out[2])
    np.clip(rho_next, 0.0, 1.0, out=rho_next)
    np.clip(delta_next, 0.0, 1.0, out=delta_next)
    return gdot, rho_next, delta_next


def _angle_from_delta(delta, out=None):
    """``θ, sin θ`` from ``δ = 1 − cos θ ∈ [0, 1]`` (well conditioned for θ ≤ π/2).

    ``θ = 2 asin(√(δ/2))``, ``sin θ = √(δ(2 − δ))``; ``out = (theta, s)`` optional (not aliasing ``delta``).
    """
    if out is None:
        out = (None, None)
    theta = np.multiply(delta, 0.5, out=out[0])
    np.sqrt(theta, out=theta)
    np.arcsin(theta, out=theta)
    theta *= 2.0
    s = np.subtract(2.0, delta, out=out[1])
    s *= delta
    np.sqrt(s, out=s)
    return theta, s


def _unit_rows(X):
    """Validated ``X`` (N, d), its row norms and unit rows ``U``."""
    X = as_data(X)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, d), got {X.shape}")
    norms = nonzero_row_norms(X)
    return X, norms, X / norms[:, None]


_PAIR_CHUNK = 1 << 16  # pairs per chunk of the atan2 route (chunk × d floats of gathered rows)


def _stable_angles(U, i, j):
    """``2·atan2(‖u_i−u_j‖, ‖u_i+u_j‖)`` for index arrays ``i, j`` (accurate near θ = 0 and θ = π)."""
    out = np.empty(i.size)
    for a in range(0, i.size, _PAIR_CHUNK):
        ii, jj = i[a : a + _PAIR_CHUNK], j[a : a + _PAIR_CHUNK]
        diff = np.linalg.norm(U[ii] - U[jj], axis=1)
        summ = np.linalg.norm(U[ii] + U[jj], axis=1)
        out[a : a + _PAIR_CHUNK] = 2.0 * np.arctan2(diff, summ)
    return out


def input_angles(X) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise angles ``θ_ij`` between the rows of ``X`` and their norms (exactly symmetric).

    ``θ = arccos ρ`` where ``|ρ| ≤ 1/2`` (well conditioned there); elsewhere
    ``θ = 2·atan2(‖u−v‖, ‖u+v‖)`` from the unit rows, accurate to a few ulps even for
    near-duplicate or antipodal rows. Zero rows are an error.
    """
    X, norms, U = _unit_rows(X)
    rho = U @ U.T
    np.clip(rho, -1.0, 1.0, out=rho)
    theta = np.arccos(rho)
    iu, ju = np.nonzero(np.triu(np.abs(rho) > 0.5, 1))
    theta[iu, ju] = _stable_angles(U, iu, ju)
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

    Work is done on ``block``-row slabs of the upper triangle (rows ``a:b``, columns ``a:``), each
    mirrored into the lower triangle as soon as it is final. The first-layer angle data
    ``(θ, sin θ, cos θ, 1 − cos θ)`` are ``(arccos ρ, √((1−ρ)(1+ρ)), ρ, 1 − ρ)`` with
    ``ρ = G^(1)_ij/(‖x_i‖‖x_j‖)`` where ``|ρ| ≤ 1/2`` (all well conditioned there), and elsewhere
    ``(θ, sin θ, cos θ, 2 sin²(θ/2))`` from the atan2 angle of :func:`input_angles`.
    """
    L = check_depth(depth)
    block = check_positive_int(block, "block")
    X, norms, U = _unit_rows(X)
    # Homogeneity: K^(L)(cX) = c² K^(L)(X). Work at unit scale with c a power of two (exact in floating point)
    # so that rows of size 1e±150 neither overflow nor underflow in X Xᵀ; rescale the results at the end.
    scale = 2.0 ** np.round(np.log2(norms.max()))
    if scale != 1.0:
        X, norms = X / scale, norms / scale
    N = X.shape[0]
    G = [None, np.empty((N, N))]
    Gd = [None, None]
    K = [None, None]
    for _ in range(2, L + 1):
        G.append(np.empty((N, N)))
        Gd.append(np.empty((N, N)))
        K.append(np.empty((N, N)))
    # one product (a plain GEMM: numpy's syrk route for X @ X.T is slower for small d); each slab
    # below keeps its upper part and mirrors it
    np.matmul(X, np.ascontiguousarray(X.T), out=G[1])
    m0 = min(block, N)
    bufs = np.empty((6, m0 * N))  # θ, sin θ, ρ, δ, θρ − sin θ, ‖x_i‖‖x_j‖

    for a in range(0, N, block):
        b = min(a + block, N)
        m, w = b - a, N - a
        th, s, rho, dl, tmp, nn = (buf[: m * w].reshape(m, w) for buf in bufs)
        # layer 1: the slab of G^(1) = X Xᵀ (its diagonal square made exactly symmetric) and ρ from it
        g1 = G[1][a:b, a:]
        _symmetrize_square(g1[:, :m])
        G[1][b:, a:b] = g1[:, m:].T
        np.multiply(norms[a:b, None], norms[None, a:], out=nn)
        np.divide(g1, nn, out=rho)
        np.clip(rho, -1.0, 1.0, out=rho)
        np.arccos(rho, out=th)
        np.subtract(1.0, rho, out=dl)
        np.add(1.0, rho, out=s)
        s *= dl
        np.sqrt(s, out=s)
        np.abs(rho, out=tmp)
        ri, ci = np.nonzero(tmp > 0.5)  # includes the slab's diagonal entries (overwritten below)
        if ri.size:
            t = _stable_angles(U, ri + a, ci + a)
            th[ri, ci] = t
            s[ri, ci] = np.sin(t)
            rho[ri, ci] = np.cos(t)
            half = np.sin(0.5 * t)
            dl[ri, ci] = 2.0 * half * half
        k_prev = g1
        for l in range(2, L + 1):
            gd = Gd[l][a:b, a:]
            _layer(th, s, rho, dl, out=(gd, rho, dl), scratch=tmp)
            g = G[l][a:b, a:]
            np.multiply(nn, rho, out=g)
            k = K[l][a:b, a:]
            np.multiply(k_prev, gd, out=k)
            k += g
            for M, val in ((G[l], g), (Gd[l], gd), (K[l], k)):
                M[b:, a:b] = val[:, m:].T
            k_prev = k
            if l < L:
                _angle_from_delta(dl, out=(th, s))
    idx = np.arange(N)
    sq = np.einsum("ij,ij->i", X, X)  # ‖x_i‖² as a dot product (not a squared root), as in gram_exact
    G[1][idx, idx] = sq
    K[1] = G[1].copy()
    for l in range(2, L + 1):
        G[l][idx, idx] = sq
        Gd[l][idx, idx] = 1.0
        K[l][idx, idx] = l * sq  # K^(l)_ii = K^(l-1)_ii · 1 + ‖x_i‖²
    if scale != 1.0:
        with np.errstate(over="ignore", under="ignore"):
            for l in range(1, L + 1):
                for M in (G[l], K[l]):  # × scale twice: scale² itself may over- or underflow
                    M *= scale
                    M *= scale
        if not np.all(np.isfinite(K[L])):
            raise ValueError(f"X is too large: K^(L) overflows float64 (largest row norm {norms.max() * scale!r})")
    return LimitingNTK(G=G, Gdot=Gd, K=K)


def _symmetrize_square(S: np.ndarray) -> None:
    """Copy the strictly upper triangle of the square ``S`` onto its lower triangle (in place)."""
    il = np.tril_indices(S.shape[0], -1)
    S[il] = S.T[il]


def gram_exact(X: np.ndarray) -> np.ndarray:
    """``X Xᵀ`` exactly symmetric with the diagonal equal to the row norms squared as computed."""
    G = X @ X.T
    G = np.triu(G)
    G += np.triu(G, 1).T
    np.fill_diagonal(G, np.einsum("ij,ij->i", X, X))
    return G
