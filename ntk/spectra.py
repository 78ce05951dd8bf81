"""Smallest eigenvalues and singular values with their numerical floor.

A backward-stable symmetric eigensolver returns the eigenvalues of ``K + E`` with
``‖E‖₂ ≤ p(N)·eps·‖K‖₂`` (Golub & Van Loan, §8.3); by Weyl's inequality every computed
eigenvalue is within that of the exact one. We take ``p(N) = N`` (a safe, commonly used bound for
LAPACK's tridiagonal reduction), so ``floor = N·eps·‖K‖₂``. A value below its floor is
indistinguishable from zero and any verdict depending on its sign is inconclusive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ._validate import as_data

__all__ = ["Eig", "lambda_min", "sigma_min"]

EPS = np.finfo(np.float64).eps


@dataclass(frozen=True)
class Eig:
    """``value`` with the absolute error bound ``floor`` and the operator norm ``norm`` used for it.

    For batched input all three are arrays over the batch.
    """

    value: float | np.ndarray
    floor: float | np.ndarray
    norm: float | np.ndarray

    @property
    def resolved(self):
        """``value > floor``: the value is positive beyond rounding error."""
        return self.value > self.floor

    def __float__(self) -> float:
        return float(self.value)


def lambda_min(K, *, extra_error: float | np.ndarray = 0.0) -> Eig:
    """Smallest eigenvalue of the symmetric matrix ``K`` (``(N, N)`` or batched ``(T, N, N)``).

    ``extra_error`` adds a caller-known bound on the error already in ``K`` (e.g. from forming it) to the
    floor. Single matrices use LAPACK ``syevr`` restricted to the smallest eigenvalue; batches use the
    vectorised full spectrum.

    Symmetry. ``K`` must be symmetric up to rounding; its symmetric part ``K_s = (K + Kᵀ)/2`` is what the
    eigensolver sees (a no-op for exactly symmetric input). Replacing ``K`` by ``K_s`` perturbs it by the
    antisymmetric part ``S = (K − Kᵀ)/2``; that is accepted when ``‖S‖_F ≤ floor = N·eps·‖K_s‖₂ +
    extra_error``, i.e. when it is no larger than the error the result already carries (``S`` moves no
    eigenvalue of ``K_s`` by more than ``‖S‖₂ ≤ ‖S‖_F``). A matrix that is entrywise within a few
    ``eps`` relative of a symmetric one passes (``‖S‖_F ≤ c·eps·‖K‖_F ≤ c√N·eps·‖K‖₂``); anything more
    asymmetric is a ``ValueError`` naming ``K`` and its asymmetry (e.g. ``[[1, 2], [0, 1]]``: its symmetric
    part has eigenvalues 0 and 2, which are not eigenvalues of ``K``).
    """
    K = as_data(K, "K")
    extra = np.asarray(extra_error, dtype=np.float64)
    if not np.all(np.isfinite(extra)) or np.any(extra < 0):
        raise ValueError(f"extra_error must be finite and >= 0 (it widens the floor), got {extra_error!r}")
    if K.shape[-1] != K.shape[-2]:
        raise ValueError(f"K must be square, got shape {K.shape}")
    Kt = np.swapaxes(K, -1, -2)
    asym = _frobenius(0.5 * K - 0.5 * Kt)  # halving is exact: no overflow for entries near the float64 limit
    K = 0.5 * K + 0.5 * Kt
    N = K.shape[-1]
    if K.ndim == 2:
        if extra.size != 1:
            raise ValueError(f"extra_error must be a scalar for a single matrix, got shape {extra.shape}")
        try:
            lo = scipy.linalg.eigh(K, eigvals_only=True, subset_by_index=[0, 0], driver="evr")[0]
            hi = scipy.linalg.eigh(K, eigvals_only=True, subset_by_index=[N - 1, N - 1], driver="evr")[0]
        except np.linalg.LinAlgError:
            # syevr's MRRR can fail ("Internal Error") on tightly clustered spectra (e.g. c·I + rounding);
            # the full QR/divide-and-conquer solver is backward stable there, with the same error bound
            w = np.linalg.eigvalsh(K)
            lo, hi = w[0], w[-1]
        norm = max(abs(lo), abs(hi))
        floor = float(N * EPS * norm + float(extra))
        _check_symmetric(asym, floor, norm)
        return Eig(float(lo), floor, float(norm))
    w = np.linalg.eigvalsh(K)
    norm = np.maximum(np.abs(w[..., 0]), np.abs(w[..., -1]))
    floor = N * EPS * norm + extra_error
    _check_symmetric(asym, floor, norm)
    return Eig(w[..., 0], floor, norm)


def _frobenius(S: np.ndarray) -> np.ndarray:
    """``‖S‖_F`` over the last two axes, scaled by the largest entry (no overflow or underflow)."""
    m = np.max(np.abs(S), axis=(-2, -1))
    safe = np.where(m > 0, m, 1.0)
    Y = S / safe[..., None, None]
    return m * np.sqrt(np.einsum("...ij,...ij->...", Y, Y))


def _check_symmetric(asym, floor, norm) -> None:
    """Raise unless ``‖(K − Kᵀ)/2‖_F ≤ floor`` for every matrix (see :func:`lambda_min`)."""
    bad = np.asarray(asym > floor)
    if bad.any():
        idx = np.argwhere(bad)[0] if bad.ndim else ()
        where = f"K[{', '.join(map(str, idx))}]" if bad.ndim else "K"
        a, f, n = (float(np.asarray(v)[tuple(idx)]) for v in (asym, floor, norm))
        raise ValueError(
            f"{where} is not symmetric: ‖(K − Kᵀ)/2‖_F = {a:.3e} exceeds the numerical floor {f:.3e} "
            f"(N·eps·‖K_sym‖₂ + extra_error, ‖K_sym‖₂ = {n:.3e}); lambda_min takes a symmetric matrix "
            "(symmetrise it yourself if the asymmetry is known error, and pass its size as extra_error)"
        )


def sigma_min(F) -> Eig:
    """``σ_min(F) = √λ_min(F Fᵀ)`` for ``F ∈ R^{N×n}``: the ``N``-th singular value, ``0`` if ``n < N``.

    This is the quantity of Thm 5.1 (``σ_min(F_k)² = λ_min(F_k F_kᵀ)``). Computed from the SVD
    (not from ``F Fᵀ``, which would square the condition number); floor ``max(N, n)·eps·σ_max``.
    """
    F = as_data(F, "F")
    N, n = F.shape[-2], F.shape[-1]
    s = np.linalg.svd(F, compute_uv=False)
    smax = s[..., 0]
    smin = s[..., -1] if n >= N else np.zeros_like(smax)
    floor = max(N, n) * EPS * smax
    if F.ndim == 2:
        return Eig(float(smin), float(floor), float(smax))
    return Eig(smin, floor, smax)
