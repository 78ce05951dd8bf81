"""Exact Lipschitz constant of ``g_k : R^d → R^{n_k}`` by activation-region enumeration (Lemma 6.1).

``g_k`` is continuous and piecewise linear. Fix the activation pattern ``s = (s_1, …, s_{k−1})`` of the
hidden layers ``1..k−1`` (``s_l ∈ {−1, +1}^{n_l}``). On the set where that pattern holds the
pre-activation of layer ``l`` is *linear* in ``z``: ``g_l(z) = M_l z`` with

    M_1 = W_1ᵀ,        M_{l+1} = W_{l+1}ᵀ D_l M_l,        D_l = diag(s_l > 0),

so the pattern's region is the open polyhedral cone ``C_s = {z : s_{l,j} (M_l)_{j:} z > 0 ∀ l < k, j}``
and on it ``J(g_k)(z) = M_k`` (the pattern Jacobian, :func:`ntk.pattern_jacobian`). The pieces of
``g_k`` with nonempty interior are exactly the nonempty cones ``C_s`` (plus pieces on which a whole
layer is inactive, where ``g_k`` is constant zero), so (Lemma 6.1 and eq. (Lip_op) of its proof)

    ‖g_k‖_Lip = max_{s : C_s ≠ ∅} ‖M_k(s)‖_op.

**Enumeration.** Depth-first search over the neurons of layers ``1..k−1`` in order. A node is a prefix
of decided signs together with a witness ``z`` strictly inside the prefix's cone. For the next neuron
with row ``a = (M_l)_{j:}`` (linear in ``z`` because all earlier layers are decided):

* if ``±â·z > margin_tol`` for the witness (``â = a/‖a‖``), the child with that sign is realised by the
  same witness (no LP);
* otherwise the child's cone is tested by the linear programme (``scipy.optimize.linprog``, HiGHS)

      maximise t   s.t.   s_i â_iᵀ z ≥ t  (every decided neuron i),   z ∈ [−1, 1]^d,   t ≤ 1;

  cones through the origin meet the box in a set with interior iff they are nonempty, so the cone is
  nonempty iff ``t* > 0``; it is declared realised iff ``t* > margin_tol``. Infeasible prefixes are pruned.
  Since the rows are unit vectors, ``t*`` is the radius of a Euclidean ball around the LP's ``z`` that lies
  inside the cone — the witness of every realised region therefore certifies it with a margin.
* if ``a = 0`` exactly (every path into the neuron passes an inactive unit or a zero weight), the
  neuron's pre-activation vanishes identically on the region; ``σ(0) = 0`` and ``M_{l+1}`` does not depend
  on its sign, so it is fixed inactive without a constraint. The leaf is then *not strict*: it has a zero
  pre-activation everywhere, so it is outside the set Lemma 6.1 maximises over. For weights drawn from
  a density this happens only where a whole layer is inactive (``g_k ≡ 0`` there, ``‖J‖ = 0``).

**Exactness.** Every realised leaf is a true piece of ``g_k`` (its witness lies in its open cone with
certified margin), so ``value`` is a lower bound of ``‖g_k‖_Lip`` that is exact up to the SVD's rounding
(relative ``O(k·max n_l·eps)``). It equals ``‖g_k‖_Lip`` unless a region's inscribed-ball radius in the
box is below ``margin_tol`` (default ``1e−9``; such slivers have probability ``O(margin_tol)`` for random
weights and are reported as nothing else) — the only approximation.

**Complexity.** With ``R_l`` the number of realised patterns of layers ``1..l``, the search visits at most
``Σ_l n_l R_l`` nodes and solves at most one LP (``O(Σ_{l<k} n_l)`` constraints, ``d + 1`` variables) per
node. A central arrangement of ``n`` hyperplanes in ``R^d`` has at most ``2 Σ_{i<d} C(n−1, i)`` regions, so
``R_{k−1} ≤ Π_{l<k} 2 Σ_{i<d} C(n_l − 1, i) = O(Π n_l^{d−1})`` (Serra et al. 2018): polynomial in the widths
for fixed ``d``, exponential in ``d``. Meant for ``d ≤ 3`` and small widths; ``max_regions`` guards it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from ._validate import as_weights, check_positive_int

__all__ = ["ExactLipschitz", "Region", "activation_regions", "exact_lipschitz"]

EPS = np.finfo(np.float64).eps


@dataclass(frozen=True)
class Region:
    """One realised activation region of layers ``1..k−1``.

    ``signs[l-1]`` is ``s_l ∈ {−1, +1}^{n_l}`` (``+1`` active); ``jacobian = M_k`` (shape ``(n_k, d)``);
    ``witness`` a point of the open cone with every decided neuron's normalised margin ``≥ margin``
    (``margin = inf`` when there are no constraints, ``k = 1``); ``strict`` is False when some
    pre-activation vanishes identically on the region (see the module docstring)."""

    signs: tuple[np.ndarray, ...]
    jacobian: np.ndarray
    witness: np.ndarray
    margin: float
    strict: bool

    @property
    def opnorm(self) -> float:
        return float(np.linalg.norm(self.jacobian, 2)) if self.jacobian.size else 0.0


@dataclass(frozen=True)
class ExactLipschitz:
    """Result of :func:`exact_lipschitz`.

    ``value = ‖g_k‖_Lip`` (max over all realised regions); ``strict_value`` the max over the strict regions
    only — the right side of Lemma 6.1 — or ``None`` when no region is strict; ``best`` the maximising
    region (its witness attains the value); ``regions`` the number of realised regions, ``strict_regions``
    how many are strict, ``lps`` the number of linear programmes solved."""

    value: float
    strict_value: float | None
    best: Region
    regions: int
    strict_regions: int
    lps: int
    margin_tol: float

    @property
    def argmax(self) -> np.ndarray:
        return self.best.witness


def _check_k(weights, k):
    Ws = as_weights(weights)
    if Ws[0].ndim != 2:
        raise ValueError("exact_lipschitz takes unbatched weights (2-D matrices)")
    k = check_positive_int(k, "k")
    if k > len(Ws):
        raise ValueError(f"k must be <= L = {len(Ws)}, got {k}")
    return Ws, k


def _lp_margin(A_signed: np.ndarray, d: int) -> tuple[float, np.ndarray]:
    """``max t`` s.t. ``A_signed z ≥ t·1``, ``z ∈ [−1,1]^d``, ``−1 ≤ t ≤ 1`` (rows of ``A_signed`` unit)."""
    m = A_signed.shape[0]
    c = np.zeros(d + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-A_signed, np.ones((m, 1))])
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(m), bounds=[(-1.0, 1.0)] * (d + 1), method="highs")
    if res.status != 0:  # the LP is always feasible (z = 0, t = −1) and bounded; anything else is a solver fault
        raise RuntimeError(f"linprog failed on a feasibility LP: status {res.status} ({res.message})")
    z = res.x[:d]
    # recompute the margin of the returned point (do not trust the solver's objective to the last bit)
    t = float(np.min(A_signed @ z)) if m else 1.0
    return t, z


def activation_regions(weights, k: int, *, margin_tol: float = 1e-9, max_regions: int = 200_000):
    """Enumerate the realised activation regions of layers ``1..k−1`` of ``g_k`` (see module docstring).

    Returns ``(regions, lps)``: the list of :class:`Region` and the number of LPs solved. Raises
    ValueError on invalid input and RuntimeError when more than ``max_regions`` regions would be listed.
    """
    Ws, k = _check_k(weights, k)
    margin_tol = float(margin_tol)
    if not (np.isfinite(margin_tol) and 0.0 < margin_tol < 1.0):
        raise ValueError(f"margin_tol must lie in (0, 1), got {margin_tol!r}")
    max_regions = check_positive_int(max_regions, "max_regions")
    d = Ws[0].shape[0]
    widths = [W.shape[1] for W in Ws[: k - 1]]
    out: list[Region] = []
    lps = 0
    if k == 1:
        z = np.zeros(d)
        z[0] = 1.0
        return [Region((), Ws[0].T.copy(), z, float("inf"), True)], 0

    # state: layer index l (1-based), neuron j, M_l (rows = pre-activations of layer l), constraint rows
    # (unit, signed), witness, its margin, signs so far, strict flag
    def dfs(l, j, M, cons, z, zmargin, signs, cur, strict):
        nonlocal lps
        if j == widths[l - 1]:
            s = np.array(cur, dtype=np.int8)
            D = (s > 0).astype(np.float64)
            Mn = Ws[l].T @ (D[:, None] * M)
            sig = signs + (s,)
            if l + 1 == k:
                if len(out) >= max_regions:
                    raise RuntimeError(f"more than max_regions = {max_regions} activation regions; network too large")
                out.append(Region(sig, Mn, z.copy(), zmargin, strict))
                return
            dfs(l + 1, 0, Mn, cons, z, zmargin, sig, [], strict)
            return
        a = M[j]
        na = float(np.linalg.norm(a))
        if na == 0.0:  # identically zero pre-activation on this region: inactive, no constraint
            cur.append(-1)
            dfs(l, j + 1, M, cons, z, zmargin, signs, cur, False)
            cur.pop()
            return
        ah = a / na
        proj = float(ah @ z)
        for sgn in (1, -1):
            row = sgn * ah
            if sgn * proj > margin_tol:
                nz, nm = z, min(zmargin, sgn * proj)
            else:
                A = np.vstack(cons + [row])
                lps += 1
                nm, nz = _lp_margin(A, d)
                if not nm > margin_tol:
                    continue
            cur.append(sgn)
            dfs(l, j + 1, M, cons + [row], nz, nm, signs, cur, strict)
            cur.pop()

    z0 = np.zeros(d)
    z0[0] = 1.0  # any start: the first neuron's children are decided by LPs or by the sign of a·z0
    dfs(1, 0, Ws[0].T.copy(), [], z0, float("inf"), (), [], True)
    return out, lps


def exact_lipschitz(weights, k: int, *, margin_tol: float = 1e-9, max_regions: int = 200_000) -> ExactLipschitz:
    """``‖g_k‖_Lip`` exactly, as the maximum pattern-Jacobian norm over the realised regions (Lemma 6.1).

    ``weights``: the list ``W_1..W_L`` (unbatched, ``W_l`` of shape ``(n_{l−1}, n_l)``); ``k ∈ [1, L]``.
    Exact up to the SVD's rounding and regions thinner than ``margin_tol`` (module docstring), with
    complexity ``O(Π_{l<k} n_l^{d−1})`` LPs — use for ``d ≤ 3`` and small widths. ``k = 1`` gives
    ``‖W_1‖_op`` with no LP. Pure function; raises ValueError/TypeError on invalid input.
    """
    regions, lps = activation_regions(weights, k, margin_tol=margin_tol, max_regions=max_regions)
    norms = np.array([r.opnorm for r in regions])
    best = int(np.argmax(norms))
    strict = [n for n, r in zip(norms, regions) if r.strict]
    return ExactLipschitz(
        value=float(norms[best]),
        strict_value=float(max(strict)) if strict else None,
        best=regions[best],
        regions=len(regions),
        strict_regions=len(strict),
        lps=lps,
        margin_tol=margin_tol,
    )
