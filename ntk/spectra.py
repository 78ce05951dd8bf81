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

    ``K`` is symmetrised as ``(K + Kᵀ)/2`` (a no-op for exactly symmetric input). ``extra_error`` adds
    a caller-known bound on the error already in ``K`` (e.g. from forming it) to the floor.
    Single matrices use LAPACK ``syevr`` restricted to the smallest eigenvalue; batches use the
    vectorised full spectrum.
    """
    K = as_data(K, "K")
    extra = np.asarray(extra_error, dtype=np.float64)
    if not np.all(np.isfinite(extra)) or np.any(extra < 0):
        raise ValueError(f"extra_error must be finite and >= 0 (it widens the floor), got {extra_error!r}")
    if K.shape[-1] != K.shape[-2]:
        raise ValueError(f"K must be square, got shape {K.shape}")
    K = 0.5 * (K + np.swapaxes(K, -1, -2))
    N = K.shape[-1]
    if K.ndim == 2:
        try:
            lo = scipy.linalg.eigh(K, eigvals_only=True, subset_by_index=[0, 0], driver="evr")[0]
            hi = scipy.linalg.eigh(K, eigvals_only=True, subset_by_index=[N - 1, N - 1], driver="evr")[0]
        except np.linalg.LinAlgError:
            # syevr's MRRR can fail ("Internal Error") on tightly clustered spectra (e.g. c·I + rounding);
            # the full QR/divide-and-conquer solver is backward stable there, with the same error bound
            w = np.linalg.eigvalsh(K)
            lo, hi = w[0], w[-1]
        norm = max(abs(lo), abs(hi))
        if extra.size != 1:
            raise ValueError(f"extra_error must be a scalar for a single matrix, got shape {extra.shape}")
        return Eig(float(lo), float(N * EPS * norm + float(extra)), float(norm))
    w = np.linalg.eigvalsh(K)
    norm = np.maximum(np.abs(w[..., 0]), np.abs(w[..., -1]))
    return Eig(w[..., 0], N * EPS * norm + extra_error, norm)


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
