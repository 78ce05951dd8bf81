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
exactly symmetric: only the upper triangle is evaluated, in cache-sized tiles, and mirrored.
:func:`limiting_ntk` returns every layer; :func:`limiting_ntk_matrix` computes ``K^(L)`` alone, all layers of
a tile in a fixed set of tile-sized buffers.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import numpy as np

from ._validate import as_data, check_depth, check_positive_int, nonzero_row_norms
from .empirical import parallel_map

__all__ = [
    "LimitingNTK",
    "arccos_kernels",
    "input_angles",
    "limiting_ntk",
    "limiting_ntk_matrix",
    "relu_derivative_expectation",
    "relu_expectation",
]

_BLOCK = 64  # rows per tile (see _tiles)
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


# Tiles of the upper triangle: row panels of _BLOCK rows, cut into column chunks of _COLS columns (the
# first chunk of a panel starts at its diagonal square). Eight tile-sized float64 buffers (1 MiB at
# 64 × 256) stay in L2; tuned with benchmarks/bench_ntk.py on a 2-core machine.
_COLS = 256


def _tiles(N: int, rows: int, cols: int):
    """``(r0, r1, c0, c1)`` covering the upper triangle of an ``N × N`` matrix, diagonal squares included.

    ``cols >= rows``, so each panel's diagonal square ``[r0:r1] × [r0:r1]`` lies in its first tile
    (``c0 == r0``); every other tile is strictly above the diagonal (``c0 >= r1``).
    """
    for r0 in range(0, N, rows):
        r1 = min(r0 + rows, N)
        for c0 in range(r0, N, cols):
            yield r0, r1, c0, min(c0 + cols, N)


class _Workspace:
    """Tile-sized scratch arrays, allocated once per call and reused by every tile (views cached by shape)."""

    names = ("theta", "sin", "rho", "delta", "tmp", "gdot", "k", "nn")

    def __init__(self, size: int):
        self._flat = np.empty((len(self.names), size))
        self._mask = np.empty(size, dtype=bool)
        self._views = {}

    def views(self, m: int, w: int):
        v = self._views.get((m, w))
        if v is None:
            bufs = tuple(b[: m * w].reshape(m, w) for b in self._flat)
            v = self._views[(m, w)] = bufs + (self._mask[: m * w].reshape(m, w),)
        return v


@functools.lru_cache(maxsize=64)
def _strict_upper(m: int) -> np.ndarray:
    """Read-only boolean ``m × m`` mask of the strictly upper triangle."""
    M = np.triu(np.ones((m, m), dtype=bool), 1)
    M.flags.writeable = False
    return M


@functools.lru_cache(maxsize=64)
def _tril_indices(m: int):
    """Read-only strictly-lower triangle indices of an ``m × m`` square."""
    il = np.tril_indices(m, -1)
    for a in il:
        a.flags.writeable = False
    return il


def _first_layer(rho, nn, U, r0, c0, th, s, dl, tmp, mask):
    """Angle data ``(θ, sin θ, cos θ, 1 − cos θ)`` of the input pairs of one tile, in place.

    On entry ``rho`` holds the tile of ``G^(1) = X Xᵀ`` and ``nn`` that of ``‖x_i‖‖x_j‖``; on exit
    ``rho = cos θ``. Where ``|ρ| ≤ 1/2``: ``(arccos ρ, √((1−ρ)(1+ρ)), ρ, 1 − ρ)`` (well conditioned);
    elsewhere the atan2 angle of :func:`_stable_angles` from the unit rows ``U`` and
    ``(θ, sin θ, cos θ, 2 sin²(θ/2))`` (accurate near ``θ = 0`` and ``θ = π``). On a tile holding a
    diagonal square (``c0 == r0``) the diagonal pairs get ``θ = 0`` exactly and the square's lower triangle
    (overwritten by the mirror copy) is left unstabilised.
    """
    rho /= nn
    np.clip(rho, -1.0, 1.0, out=rho)
    np.arccos(rho, out=th)
    np.subtract(1.0, rho, out=dl)
    np.add(1.0, rho, out=s)
    s *= dl
    np.sqrt(s, out=s)
    np.abs(rho, out=tmp)
    np.greater(tmp, 0.5, out=mask)
    if c0 == r0:
        m = rho.shape[0]
        sq = mask[:, :m]
        sq &= _strict_upper(m)
        d = np.arange(m)
        th[d, d] = 0.0
        s[d, d] = 0.0
        rho[d, d] = 1.0
        dl[d, d] = 0.0
    if mask.any():  # near-duplicate or near-antipodal pairs: rare for generic data
        ri, ci = np.nonzero(mask)
        t = _stable_angles(U, ri + r0, ci + c0)
        th[ri, ci] = t
        s[ri, ci] = np.sin(t)
        rho[ri, ci] = np.cos(t)
        half = np.sin(0.5 * t)
        dl[ri, ci] = 2.0 * half * half


def _step(th, s, rho, dl, gd, tmp, last: bool):
    """One layer of the recursion on a tile, in place: angle data of layer ``l−1`` → ``Ġ^(l)`` and layer ``l``.

    ``gd ← Ġ = (π − θ)/π``; with ``t = (θ cos θ − sin θ)/π ≤ 0`` (:func:`_theta_cos_minus_sin`, no
    cancellation for small ``θ``), ``ρ ← ρ' = ρ − t`` and ``δ ← 1 − ρ' = δ + t``; both are the exact
    ``κ_1`` update ``ρ' = (sin θ + (π − θ) cos θ)/π`` rearranged. From the second step on ``ρ ≥ 0``, so
    ``ρ − t`` adds nonnegative terms; in the first, near-antipodal pairs (``ρ ≈ −1``, ``ρ' ≈ (π−θ)³/3π``)
    get ``ρ'`` to an absolute ``O(eps)``, as from the closed form (the error model is absolute in the
    entry scale); ``δ + t`` never cancels (``|t| ≤ δ/2`` on ``[0, π]``). Unless ``last``, ``(θ, sin θ)``
    of layer ``l`` follow from ``δ`` (:func:`_angle_from_delta`; ``θ ≤ π/2`` there).
    """
    _theta_cos_minus_sin(th, rho, s, out=tmp)
    tmp /= np.pi
    rho -= tmp
    dl += tmp
    np.clip(rho, 0.0, 1.0, out=rho)
    np.clip(dl, 0.0, 1.0, out=dl)
    np.subtract(np.pi, th, out=gd)
    gd /= np.pi
    if not last:
        _angle_from_delta(dl, out=(th, s))


def _mirror(M: np.ndarray, r0: int, r1: int, c0: int, c1: int) -> None:
    """Copy the finished upper-triangle tile ``M[r0:r1, c0:c1]`` of :func:`_tiles` onto the lower triangle."""
    if c0 == r0:  # the panel's diagonal square, then the part right of it
        _symmetrize_upper(M[r0:r1, r0:r1])
        if c1 > r1:
            M[r1:c1, r0:r1] = M[r0:r1, r1:c1].T
    else:
        M[c0:c1, r0:r1] = M[r0:r1, c0:c1].T


def _prepare(X):
    """Validated ``X``, its live (nonzero) rows, and those rows at unit scale.

    Returns ``(X, live, Xs, ns, U, scale)``: ``live`` the boolean mask of nonzero rows (``None`` if all
    are), ``Xs = X[live]/scale`` with ``scale`` a power of two near the largest row norm (exact), ``ns``
    the row norms of ``Xs`` and ``U`` its unit rows. By homogeneity ``K^(L)(cX) = c² K^(L)(X)``, so the
    recursion runs at unit scale (no overflow or underflow in ``X Xᵀ`` for rows of size 1e±150) and the
    results are multiplied by ``scale`` twice (exact).
    """
    X = as_data(X)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, d), got {X.shape}")
    m = np.max(np.abs(X), axis=1)
    live = m > 0
    if live.all():
        Xl, live = X, None
    else:
        Xl, m = X[live], m[live]
        if Xl.shape[0] == 0:
            return X, live, Xl, np.empty(0), Xl, 1.0
    norms = nonzero_row_norms(Xl, rowmax=m)
    scale = 2.0 ** np.round(np.log2(norms.max()))
    Xs, ns = (Xl / scale, norms / scale) if scale != 1.0 else (Xl, norms)
    return X, live, Xs, ns, Xs / ns[:, None], scale


def _check_tiling(block, cols):
    block = check_positive_int(block, "block")
    cols = check_positive_int(cols, "cols")
    return block, max(cols, block)


def limiting_ntk_matrix(X, depth: int, *, out=None, block: int = _BLOCK, cols: int = _COLS) -> np.ndarray:
    """``K^(L)`` alone (the limiting NTK of a depth-``L`` ReLU network, all ``β_l = 1``); exact closed forms.

    Same recursion and numerics as :func:`limiting_ntk` (stable as ``ρ → ±1``, exactly symmetric,
    ``K^(L)_ii = L‖x_i‖²`` exactly), but no layer matrix is stored: each tile of the upper triangle runs
    all ``L`` layers in a fixed set of tile-sized buffers, on the normalised kernel
    ``k^(l) = K^(l)/(‖x_i‖‖x_j‖)`` (``K^(L)(DX) = D K^(L)(X) D`` for a positive diagonal ``D``):
    ``k^(1) = ρ^(1)``, ``k^(l) = k^(l−1)·Ġ^(l) + ρ^(l)``, and ``K^(L) = ‖x_i‖‖x_j‖ k^(L)``. The only
    ``N × N`` array is the result (``out``, if given: float64, C-contiguous, shape ``(N, N)``, overwritten).

    Zero rows are allowed: ``K^(L)`` is homogeneous of degree one in each row (``K_ij(t x_i) = t K_ij``
    for ``t > 0``), so its row and column at a zero row are the limit 0; they are set to 0 exactly and the
    other entries are those of the remaining rows.
    """
    L = check_depth(depth)
    block, cols = _check_tiling(block, cols)
    X, live, Xs, ns, U, scale = _prepare(X)
    N = X.shape[0]
    if out is None:
        out = np.empty((N, N))
    elif not (isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (N, N)
              and out.flags.c_contiguous and out.flags.writeable):
        raise ValueError(f"out must be a writeable C-contiguous float64 array of shape ({N}, {N}), got "
                         f"{type(out).__name__} {getattr(out, 'dtype', '')} {getattr(out, 'shape', '')}")
    if live is None:
        _kmat_live(Xs, ns, U, scale, L, out, block, cols)
        return out
    out.fill(0.0)
    if Xs.shape[0]:
        out[np.ix_(live, live)] = _kmat_live(Xs, ns, U, scale, L, np.empty((Xs.shape[0],) * 2), block, cols)
    return out


def _run_tiles(N: int, block: int, cols: int, work) -> None:
    """``work(ws, tile)`` for every tile of :func:`_tiles`, with a tile workspace per thread.

    Tiles are independent (each writes its own upper-triangle tile and, by :func:`_mirror`, the lower-triangle
    block no other tile writes), so from ``N >= _PARALLEL_MIN_N`` on they run through :func:`parallel_map`
    (threads, single-threaded BLAS; the result does not depend on the number of threads).
    """
    size = min(block, N) * min(cols, N)
    tiles = list(_tiles(N, block, cols))
    if N < _PARALLEL_MIN_N:
        ws = _Workspace(size)
        for t in tiles:
            work(ws, t)
        return
    local = threading.local()

    def run(t):
        ws = getattr(local, "ws", None)
        if ws is None:
            ws = local.ws = _Workspace(size)
        work(ws, t)

    parallel_map(run, tiles)


_PARALLEL_MIN_N = 256


def _kmat_live(Xs, ns, U, scale, L, out, block, cols):
    """:func:`limiting_ntk_matrix` on nonzero rows at unit scale (``Xs``, norms ``ns``, unit rows ``U``)."""
    N = Xs.shape[0]
    XT = np.ascontiguousarray(Xs.T)

    def work(ws, tile):
        r0, r1, c0, c1 = tile
        th, s, rho, dl, tmp, gd, k, nn, mask = ws.views(r1 - r0, c1 - c0)
        np.matmul(Xs[r0:r1], XT[:, c0:c1], out=rho)  # the whole tile of G^(1), lower part of a diagonal square too
        np.multiply(ns[r0:r1, None], ns[None, c0:c1], out=nn)
        _first_layer(rho, nn, U, r0, c0, th, s, dl, tmp, mask)
        np.copyto(k, rho)
        for l in range(2, L + 1):
            _step(th, s, rho, dl, gd, tmp, last=l == L)
            k *= gd
            k += rho
        dest = out[r0:r1, c0:c1]
        np.multiply(k, nn, out=dest)
        if scale != 1.0:
            with np.errstate(over="ignore"):  # an overflow is reported below
                dest *= scale  # × scale twice: scale² itself may over- or underflow
                dest *= scale
        _mirror(out, r0, r1, c0, c1)

    _run_tiles(N, block, cols, work)
    idx = np.arange(N)
    sq = np.einsum("ij,ij->i", Xs, Xs)  # ‖x_i‖² as a dot product, as in gram_exact
    with np.errstate(over="ignore"):
        out[idx, idx] = (L * sq) * scale * scale if scale != 1.0 else L * sq
    if scale != 1.0 and not np.all(np.isfinite(out)):
        raise ValueError(f"X is too large: K^(L) overflows float64 (largest row norm {ns.max() * scale!r})")
    return out


def limiting_ntk(X, depth: int, *, block: int = _BLOCK, cols: int = _COLS) -> LimitingNTK:
    """The limiting NTK ``K^(L)`` of a depth-``L`` ReLU network and every ``G^(l)``, ``Ġ^(l)``, ``K^(l)``.

    Exact closed forms (no quadrature, no sampling); numerically stable as ``ρ → ±1``, exactly
    symmetric, ``G^(l)_ii = ‖x_i‖²`` and ``Ġ^(l)_ii = 1`` exactly. For ``K^(L)`` alone use
    :func:`limiting_ntk_matrix` (no layer matrices stored; several times less memory and faster).

    Work is done on tiles of the upper triangle (:func:`_tiles`), each mirrored into the lower triangle
    as soon as it is final. The first-layer angle data ``(θ, sin θ, cos θ, 1 − cos θ)`` are
    ``(arccos ρ, √((1−ρ)(1+ρ)), ρ, 1 − ρ)`` with ``ρ = G^(1)_ij/(‖x_i‖‖x_j‖)`` where ``|ρ| ≤ 1/2`` (all
    well conditioned there), and elsewhere ``(θ, sin θ, cos θ, 2 sin²(θ/2))`` from the atan2 angle of
    :func:`input_angles`.

    Zero rows are allowed: every ``G^(l)``, ``K^(l)`` has a zero row and column there (the features of
    ``0`` are ``0``), and so has ``Ġ^(l)`` (the convention ``σ'(0) = 0`` of the empirical NTK, as in
    :func:`relu_derivative_expectation`; ``Ġ^(l)_ii = 0`` at a zero row).
    """
    L = check_depth(depth)
    block, cols = _check_tiling(block, cols)
    X, live, Xs, ns, U, scale = _prepare(X)
    if live is None:
        return _limiting_live(Xs, ns, U, scale, L, block, cols)
    N = X.shape[0]
    full = [None] + [np.zeros((N, N)) for _ in range(L)]
    G, Gd, K = list(full), [None, None] + [np.zeros((N, N)) for _ in range(2, L + 1)], [None] + [
        np.zeros((N, N)) for _ in range(L)]
    if Xs.shape[0]:
        sub = _limiting_live(Xs, ns, U, scale, L, block, cols)
        ix = np.ix_(live, live)
        for l in range(1, L + 1):
            G[l][ix] = sub.G[l]
            K[l][ix] = sub.K[l]
            if l > 1:
                Gd[l][ix] = sub.Gdot[l]
    return LimitingNTK(G=G, Gdot=Gd, K=K)


def _limiting_live(Xs, ns, U, scale, L, block, cols) -> LimitingNTK:
    """:func:`limiting_ntk` on nonzero rows at unit scale."""
    N = Xs.shape[0]
    G = [None] + [np.empty((N, N)) for _ in range(L)]
    Gd = [None, None] + [np.empty((N, N)) for _ in range(2, L + 1)]
    K = [None, G[1]] + [np.empty((N, N)) for _ in range(2, L + 1)]
    XT = np.ascontiguousarray(Xs.T)

    def work(ws, tile):
        r0, r1, c0, c1 = tile
        th, s, rho, dl, tmp, _, _, nn, mask = ws.views(r1 - r0, c1 - c0)
        g1 = G[1][r0:r1, c0:c1]
        np.matmul(Xs[r0:r1], XT[:, c0:c1], out=g1)
        np.copyto(rho, g1)
        np.multiply(ns[r0:r1, None], ns[None, c0:c1], out=nn)
        _first_layer(rho, nn, U, r0, c0, th, s, dl, tmp, mask)
        _mirror(G[1], r0, r1, c0, c1)
        for l in range(2, L + 1):
            gd = Gd[l][r0:r1, c0:c1]
            _step(th, s, rho, dl, gd, tmp, last=l == L)
            g = G[l][r0:r1, c0:c1]
            np.multiply(nn, rho, out=g)
            k = K[l][r0:r1, c0:c1]
            np.multiply(K[l - 1][r0:r1, c0:c1], gd, out=k)
            k += g
            for M in (G[l], Gd[l], K[l]):
                _mirror(M, r0, r1, c0, c1)

    _run_tiles(N, block, cols, work)
    idx = np.arange(N)
    sq = np.einsum("ij,ij->i", Xs, Xs)  # ‖x_i‖² as a dot product (not a squared root), as in gram_exact
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
            raise ValueError(f"X is too large: K^(L) overflows float64 (largest row norm {ns.max() * scale!r})")
    return LimitingNTK(G=G, Gdot=Gd, K=K)


def _symmetrize_upper(S: np.ndarray) -> None:
    """Copy the strictly upper triangle of the square ``S`` onto its lower triangle (in place)."""
    il = _tril_indices(S.shape[0])
    S[il] = S.T[il]


def gram_exact(X: np.ndarray) -> np.ndarray:
    """``X Xᵀ`` exactly symmetric with the diagonal equal to the row norms squared as computed."""
    G = X @ X.T
    G = np.triu(G)
    G += np.triu(G, 1).T
    np.fill_diagonal(G, np.einsum("ij,ij->i", X, X))
    return G
