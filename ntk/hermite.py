"""Hermite coefficients and Khatri–Rao / Hadamard powers (THEOREMS.md §1).

``h_r = He_r/√(r!)`` are the normalised probabilists' Hermite polynomials (orthonormal under
``N(0, 1)``) and ``μ_r(σ) = E_{g~N(0,1)}[σ(g) h_r(g)]``. For the ReLU the coefficients are known in
closed form (exact, evaluated in log space so that ``r = 10⁴`` neither overflows nor underflows to a
wrong sign); for a generic activation they are computed by Gauss–Hermite quadrature.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import gammaln

from ._validate import as_data, check_positive_int

__all__ = [
    "hadamard_power",
    "hermite_coefficients",
    "hermite_functions",
    "khatri_rao_power",
    "relu_hermite",
]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def relu_hermite(r):
    """Exact ``μ_r(ReLU)`` for integer ``r ≥ 0`` (scalar or array).

    ``μ_0 = 1/√(2π)``, ``μ_1 = 1/2``, ``μ_r = 0`` for odd ``r ≥ 3`` and, for even ``r ≥ 2``,
    ``μ_r = (−1)^{(r−2)/2} (r−3)!! / (√(2π) √(r!))`` with ``(−1)!! = 1``. The double factorial of
    the odd number ``m = r − 3`` is ``2^{(m+1)/2} Γ(m/2 + 1)/√π``, so
    ``log|μ_r| = ((r−2)/2) log 2 + lnΓ((r−1)/2) − ½ log π − ½ log 2π − ½ lnΓ(r+1)``.
    """
    r_arr = np.asarray(r)
    if r_arr.dtype == bool:
        raise TypeError(f"r must be an integer, got {r!r}")
    if not np.issubdtype(r_arr.dtype, np.integer):
        if np.any(r_arr != np.round(r_arr)):
            raise ValueError(f"r must be integer-valued, got {r!r}")
        r_arr = r_arr.astype(np.int64)
    if np.any(r_arr < 0):
        raise ValueError(f"r must be >= 0, got {r!r}")
    r_f = r_arr.astype(np.float64)
    even = (r_arr % 2 == 0) & (r_arr >= 2)
    safe = np.where(even, r_f, 2.0)
    log_abs = (
        0.5 * (safe - 2.0) * np.log(2.0)
        + gammaln(0.5 * (safe - 1.0))
        - 0.5 * np.log(np.pi)
        - _LOG_SQRT_2PI
        - 0.5 * gammaln(safe + 1.0)
    )
    sign = np.where(((safe - 2.0) / 2.0) % 2 == 0, 1.0, -1.0)
    out = np.where(even, sign * np.exp(log_abs), 0.0)
    out = np.where(r_arr == 0, 1.0 / np.sqrt(2.0 * np.pi), out)
    out = np.where(r_arr == 1, 0.5, out)
    return float(out) if out.ndim == 0 else out


def hermite_functions(x, r_max: int) -> np.ndarray:
    """``h_0(x), …, h_{r_max}(x)`` (rows) by the stable normalised three-term recurrence
    ``h_{r+1} = (x h_r − √r h_{r−1})/√(r+1)``."""
    r_max = check_positive_int(r_max, "r_max", minimum=0)
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"x must be finite, got non-finite entries in {x!r}")
    H = np.empty((r_max + 1,) + x.shape)
    H[0] = 1.0
    if r_max >= 1:
        H[1] = x
    for r in range(1, r_max):
        H[r + 1] = (x * H[r] - np.sqrt(r) * H[r - 1]) / np.sqrt(r + 1)
    return H


def hermite_coefficients(activation: Callable[[np.ndarray], np.ndarray], r_max: int, nodes: int = 200) -> np.ndarray:
    """``μ_0(σ), …, μ_{r_max}(σ)`` for a generic activation by Gauss–Hermite quadrature.

    Uses ``nodes`` probabilists' Gauss–Hermite points (weight ``e^{−x²/2}``, exact for polynomials of
    degree ``< 2·nodes``). Accurate to machine precision for smooth activations of moderate growth;
    for a kink (ReLU) the error decays only algebraically in ``nodes`` — use :func:`relu_hermite`.
    """
    r_max = check_positive_int(r_max, "r_max", minimum=0)
    nodes = check_positive_int(nodes, "nodes", minimum=1)
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / np.sqrt(2.0 * np.pi)
    fx = np.asarray(activation(x), dtype=np.float64)
    if fx.shape != x.shape or not np.all(np.isfinite(fx)):
        raise ValueError("activation must map an array to a finite array of the same shape")
    return hermite_functions(x, r_max) @ (w * fx)


def khatri_rao_power(A, r: int) -> np.ndarray:
    """Row-wise Kronecker power ``A^{*r}`` of shape ``(N, d^r)``; ``A^{*r}(A^{*r})ᵀ = (AAᵀ)^{∘r}``.

    Exact; memory ``N d^r`` — for small ``d`` and ``r`` only (tests of the identity).
    """
    A = as_data(A, "A")
    r = check_positive_int(r, "r")
    if A.ndim != 2:
        raise ValueError(f"A must have shape (N, d), got {A.shape}")
    out = A
    for _ in range(r - 1):
        out = np.einsum("ni,nj->nij", out, A).reshape(A.shape[0], -1)
    return out


def hadamard_power(M, r: int) -> np.ndarray:
    """Entrywise power ``M^{∘r}`` (exact up to rounding of repeated products)."""
    M = as_data(M, "M")
    r = check_positive_int(r, "r", minimum=0)
    return M**r
