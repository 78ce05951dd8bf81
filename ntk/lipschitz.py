"""Lipschitz constant of the pre-activation map ``g_k : R^d → R^{n_k}`` (Lemma 6.1, Thm 6.2).

``g_k`` is continuous and piecewise linear; on the open region with activation pattern
``A_{1→k-1}(z)`` (no zero pre-activation) its Jacobian is the pattern Jacobian
``J(g_k)(z) = W_kᵀ Σ_{k−1}(z) W_{k−1}ᵀ ⋯ Σ_1(z) W_1ᵀ`` (exact). Hence:

* every ``‖J(g_k)(z)‖_op`` at such a point is a certified *lower* bound of ``‖g_k‖_Lip``;
* ``Π_{l≤k} ‖W_l‖_op`` is a certified *upper* bound (the naive bound of Thm 6.2's discussion).

``g_k`` is positively homogeneous (``g_k(cz) = c g_k(z)``, ``c > 0``), so its Jacobian is constant
along rays and inputs can be searched on the unit sphere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_data, as_weights, check_positive_int

__all__ = [
    "LipschitzEstimate",
    "lipschitz_lower_estimate",
    "naive_lipschitz_upper",
    "pattern_jacobian",
]


def _check_k(weights, k):
    Ws = as_weights(weights)
    k = check_positive_int(k, "k")
    if k > len(Ws):
        raise ValueError(f"k must be <= L = {len(Ws)}, got {k}")
    if Ws[0].ndim != 2:
        raise ValueError("Lipschitz tools take unbatched weights")
    return Ws, k


def pattern_jacobian(Z, weights, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Pattern Jacobians ``J(g_k)(z)`` (shape ``(M, n_k, d)``) at the rows of ``Z`` ``(M, d)``.

    Also returns the smallest ``|g_l(z)|`` over ``l < k`` for each point: where it is ``> 0`` the
    point lies in the interior of its activation region and the Jacobian is the true derivative.
    """
    Ws, k = _check_k(weights, k)
    Z = as_data(Z, "Z")
    if Z.ndim != 2 or Z.shape[1] != Ws[0].shape[0]:
        raise ValueError(f"Z must have shape (M, d = {Ws[0].shape[0]}), got {Z.shape}")
    M, d = Z.shape
    J = np.broadcast_to(Ws[0].T, (M,) + Ws[0].T.shape)  # (M, n_1, d)
    g = Z @ Ws[0]
    margin = np.full(M, np.inf)
    for l in range(1, k):
        margin = np.minimum(margin, np.abs(g).min(axis=1))
        mask = (g > 0).astype(np.float64)
        J = np.einsum("ji,mj,mjd->mid", Ws[l], mask, J, optimize=True)
        g = (g * mask) @ Ws[l]
    return np.array(J), margin


def naive_lipschitz_upper(weights, k: int) -> float:
    """``Π_{l=1}^{k} ‖W_l‖_op`` — a certified upper bound of ``‖g_k‖_Lip`` (exact up to the SVD)."""
    Ws, k = _check_k(weights, k)
    return float(np.prod([np.linalg.norm(W, 2) for W in Ws[:k]]))


@dataclass(frozen=True)
class LipschitzEstimate:
    """A certified lower estimate of ``‖g_k‖_Lip``: ``value = ‖J(g_k)(argmax)‖_op`` at a point with
    no zero pre-activation (``margin > 0``), after ``evaluations`` Jacobian evaluations."""

    value: float
    argmax: np.ndarray
    margin: float
    evaluations: int

    @property
    def certified(self) -> bool:
        return self.margin > 0


def _opnorms(J: np.ndarray) -> np.ndarray:
    return np.linalg.norm(J, ord=2, axis=(1, 2))


def lipschitz_lower_estimate(weights, k: int, rng, *, samples: int = 256, ascent_steps: int = 30, starts: int = 8) -> LipschitzEstimate:
    """Max of ``‖J(g_k)(z)‖_op`` over random inputs, then local ascent from the best ``starts``.

    Sampling: ``samples`` uniform points on the unit sphere. Ascent: a (1+1)-evolution strategy per
    start — perturb ``z`` by a Gaussian step into neighbouring activation regions and keep the move
    if the operator norm grows; the step halves after a failure. Only points with no zero
    pre-activation are counted, so the result is a certified lower bound of ``‖g_k‖_Lip``.
    """
    Ws, k = _check_k(weights, k)
    samples = check_positive_int(samples, "samples")
    starts = min(check_positive_int(starts, "starts"), samples)
    ascent_steps = check_positive_int(ascent_steps, "ascent_steps", minimum=0)
    if rng is None:
        raise ValueError("rng must be a numpy Generator or a seed; got None (no hidden global randomness)")
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    d = Ws[0].shape[0]
    Z = rng.standard_normal((samples, d))
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    J, margin = pattern_jacobian(Z, Ws, k)
    norms = np.where(margin > 0, _opnorms(J), -np.inf)
    evals = samples
    order = np.argsort(norms)[::-1][:starts]
    cur, cur_val = Z[order].copy(), norms[order].copy()
    step = np.full(starts, 0.5)
    for _ in range(ascent_steps):
        prop = cur + step[:, None] * rng.standard_normal(cur.shape) / np.sqrt(d)
        prop /= np.linalg.norm(prop, axis=1, keepdims=True)
        Jp, mp = pattern_jacobian(prop, Ws, k)
        val = np.where(mp > 0, _opnorms(Jp), -np.inf)
        evals += starts
        better = val > cur_val
        cur[better], cur_val[better] = prop[better], val[better]
        step = np.where(better, step, step * 0.5)
    best = int(np.argmax(cur_val))
    _, m = pattern_jacobian(cur[best : best + 1], Ws, k)
    return LipschitzEstimate(float(cur_val[best]), cur[best].copy(), float(m[0]), evals)
