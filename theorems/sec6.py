"""Section 6 — Lipschitz constant of the feature maps: Lemma 6.1 and Thm 6.2 (THEOREMS.md §3).

**Lemma 6.1 (v5 = ICML).** Almost surely over ``W_1..W_{k−1}``, for every ``W_k``,
``‖g_k‖_Lip = max_{z : A_{1→k−1}(z) ∈ {±1}} ‖J(g_k)(z)‖_op`` with
``J(g_k)(z) = W_kᵀ Σ_{k−1}(z) W_{k−1}ᵀ ⋯ Σ_1(z) W_1ᵀ``. *Exact* (almost-sure) statement, checked on small
networks (``d ≤ 3``) where the right side is computed exactly by activation-region enumeration
(:func:`ntk.regions.exact_lipschitz`, the max over strict regions), against independent evidence:

* ``≤`` side: the difference quotients ``‖g_k(z) − g_k(z')‖/‖z − z'‖`` over many sampled pairs never exceed
  the enumerated maximum (up to the derived rounding tolerance of :func:`pair_tolerance`);
* ``≥`` side (attained): the maximising region's LP witness ``z*`` has no zero pre-activation
  (``ntk.pattern_jacobian`` margin > 0), its pattern Jacobian norm equals the maximum, and a finite
  difference of ``g_k`` along the top right singular vector inside the certified ball reproduces it;
* **finding**: the set maximised over can be *empty with positive probability* — e.g. a hidden layer of
  width 1 is inactive on a half-space, and there every later pre-activation vanishes identically (no input
  has a ±1 pattern when every region passes a dead layer). Then ``g_k ≡ 0``; the lemma holds with the
  convention ``sup ∅ = 0``, which the paper leaves implicit (its proof treats ``int{f_{k−1} = 0}`` separately).
  The check uses that convention and records ``empty_set``;
* the hypothesis "almost surely" is necessary: weights with a zero column in ``W_1`` (a measure-zero
  event) make a pre-activation vanish identically, the set maximised over is empty while ``‖g_k‖_Lip > 0``
  (negative control, :func:`degenerate_weights`).

**Thm 6.2 (v5 = ICML).** ``k ∈ [L−1]``; with probability ``≥ 1 − Σ_{l=1}^{k} e^{−Ω(n_l)}``,
``‖g_k‖²_Lip = O((Π_{l=0}^{k} n_l / min_{l∈[0,k]} n_l) · Π_{l=1}^{k−1} log n_l · Π_{l=1}^{k} β_l²)``.
Asymptotic: the O is ``THM62_C`` and the Ω is ``THM62_PROB_C`` (:mod:`theorems.constants`), the regime
``n_l ≥ THM62_N_MIN``. Every certified lower estimate of ``‖g_k‖_Lip`` (``ntk.lipschitz_lower_estimate``, or
the exact value for ``d ≤ 3``) above the bound refutes it. Each trial also records the naive bound
``Π ‖W_l‖²_op`` and the improvement ``naive²/bound``. The log in the bound is the natural log (the paper
does not say; a base change only rescales ``THM62_C`` by a constant power for fixed ``k``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

import ntk
from ntk.regions import exact_lipschitz

from .constants import value as K_
from .harness import Outcome, check
from .statement import Kind, statement

EPS = np.finfo(np.float64).eps

__all__ = [
    "LEM_6_1",
    "THM_6_2",
    "bound",
    "degenerate_weights",
    "feature_map",
    "in_regime",
    "lemma61_evidence",
    "pair_tolerance",
    "scale",
    "stated_probability",
]


# ------------------------------------------------------------------------------------- Lemma 6.1
def _generic(s: Mapping) -> bool:
    """Weights drawn from a density (the 'almost surely' of Lemma 6.1); scenarios may mark otherwise."""
    return not s.get("degenerate", False)


LEM_6_1 = statement(
    id="Lemma 6.1",
    title="Lipschitz constant of g_k as a maximum of pattern Jacobian norms",
    paper_version="v5",
    claim="a.s. over W_1..W_{k−1}: ‖g_k‖_Lip = max over z with no zero pre-activation in layers < k of ‖J(g_k)(z)‖_op",
    kind=Kind.EXACT,
    hypotheses=_generic,
    quantity="‖g_k‖_Lip",
    section="6",
    notes="Same in v5 and ICML. Checked exactly for d ≤ 3 by activation-region enumeration (ntk.regions).",
)


def feature_map(Z: np.ndarray, weights: Sequence[np.ndarray], k: int) -> np.ndarray:
    """``g_k(z)`` for the rows of ``Z`` (shape ``(M, n_k)``), by the forward pass."""
    return ntk.forward(Z, weights).pre[k - 1]


def _abs_norm_product(weights, k) -> float:
    """``Π_{l≤k} ‖ |W_l| ‖_F``: bounds ``‖|W_k|ᵀ⋯|W_1|ᵀ‖_op``, the scale of forward rounding errors."""
    return float(np.prod([np.linalg.norm(W) for W in weights[:k]]))


def pair_tolerance(weights, k: int, Z: np.ndarray, Zp: np.ndarray) -> np.ndarray:
    """Rounding bound on the computed quotient ``‖g_k(z) − g_k(z')‖/‖z − z'‖`` for each pair.

    Derivation: each layer is a matrix product of inner dimension ``n_{l−1}`` (error ``≤ γ_{n_{l−1}}`` times
    the product of absolute values) followed by an exact ReLU (1-Lipschitz, so errors do not grow), hence
    ``|fl(g_k(z)) − g_k(z)| ≤ (Σ_{l≤k} n_{l−1} + k)·eps · ‖|W_k|ᵀ⋯|W_1|ᵀ‖ ‖z‖`` to first order. The difference
    of the two images, its norm and the division add ``O(eps)`` relative. A factor 4 covers the second
    order terms and ``γ_n = n·eps/(1 − n·eps)``. The rounding of ``‖z − z'‖`` itself is ``≤ 2 eps`` relative.
    """
    n_in = sum(W.shape[0] for W in weights[:k]) + k
    A = _abs_norm_product(weights, k)
    num = 4.0 * n_in * EPS * A * (np.linalg.norm(Z, axis=1) + np.linalg.norm(Zp, axis=1))
    return num / np.linalg.norm(Z - Zp, axis=1)


def lemma61_evidence(weights: Sequence[np.ndarray], k: int, rng: np.random.Generator, *, pairs: int = 4000) -> dict:
    """Everything the Lemma 6.1 check needs on one network (``d ≤ 3``): exact value, sampled quotients,
    attainment at the maximising region's witness. Pure given ``rng``."""
    Ws = [np.asarray(W, dtype=np.float64) for W in weights]
    d = Ws[0].shape[0]
    ex = exact_lipschitz(Ws, k)
    # ≤ side: difference quotients over random pairs (half near each other, half far apart)
    Z = rng.standard_normal((pairs, d))
    Zp = Z + rng.standard_normal((pairs, d)) * np.where(np.arange(pairs) < pairs // 2, 1e-2, 1.0)[:, None]
    diff = feature_map(Z, Ws, k) - feature_map(Zp, Ws, k)
    q = np.linalg.norm(diff, axis=1) / np.linalg.norm(Z - Zp, axis=1)
    tol_q = pair_tolerance(Ws, k, Z, Zp)
    # SVD rounding of the exact value: relative (n_k + d)·eps (backward-stable SVD), doubled
    tol_v = 2.0 * (Ws[k - 1].shape[1] + d) * EPS * max(ex.value, 1e-300)
    excess = q - (ex.value + tol_q + tol_v)
    # ≥ side: the witness of the maximising region
    best = ex.best
    z = best.witness
    J, margin = ntk.pattern_jacobian(z[None, :], Ws, k)
    jn = float(np.linalg.norm(J[0], 2))
    # finite difference along the top right singular vector, inside the certified ball of radius best.margin
    if best.jacobian.size and ex.value > 0:
        _, _, Vt = np.linalg.svd(best.jacobian)
        u = Vt[0]
    else:
        u = np.eye(d)[0]
    h = 0.5 * min(best.margin, 1.0)
    fd = float(np.linalg.norm(feature_map((z + h * u)[None, :], Ws, k) - feature_map(z[None, :], Ws, k)) / h)
    tol_fd = float(pair_tolerance(Ws, k, (z + h * u)[None, :], z[None, :])[0]) + tol_v
    if ex.value > 0:
        attained = (k == 1 or margin[0] > 0) and abs(jn - ex.value) <= tol_v and abs(fd - ex.value) <= tol_fd
    else:  # Lip = 0: g_k ≡ 0 (g_k(0) = 0), every computed quotient must be exactly 0
        attained = float(q.max()) == 0.0
    # right side of Lemma 6.1; sup over the empty set := 0 (possible with positive probability, see module doc)
    rhs = 0.0 if ex.strict_value is None else ex.strict_value
    return {
        "exact": ex.value,
        "strict_value": ex.strict_value,
        "regions": ex.regions,
        "strict_regions": ex.strict_regions,
        "lps": ex.lps,
        "max_quotient": float(q.max()),
        "max_excess": float(excess.max()),
        "quotients_below": bool(np.all(excess <= 0)),
        "witness_margin": float(margin[0]) if k > 1 else float("inf"),
        "witness_lp_margin": float(best.margin),
        "witness_jac_norm": jn,
        "fd_quotient": fd,
        "tol_value": tol_v,
        "tol_fd": tol_fd,
        "attained": attained,
        "empty_set": ex.strict_value is None,
        "lemma_equality": abs(rhs - ex.value) <= tol_v,
    }


def degenerate_weights(weights: Sequence[np.ndarray], column: int = 0) -> list[np.ndarray]:
    """Copy of ``weights`` with column ``column`` of ``W_1`` set to zero: neuron ``column`` of layer 1 has a
    pre-activation that vanishes on all of ``R^d`` (a measure-zero weight event, outside Lemma 6.1's a.s.)."""
    Ws = [np.array(W, dtype=np.float64, copy=True) for W in weights]
    Ws[0][:, column] = 0.0
    return Ws


# --------------------------------------------------------------------------------------- Thm 6.2
def _widths(s: Mapping) -> list[int]:
    return [int(n) for n in s["widths"]]


def scale(s: Mapping) -> float:
    """``(Π_{l=0}^{k} n_l / min_{l∈[0,k]} n_l) · Π_{l=1}^{k−1} log n_l · Π_{l=1}^{k} β_l²`` (natural log)."""
    w, k = _widths(s), int(s["k"])
    betas = ntk.resolve_betas(w, s.get("betas", "standard"))
    n = np.array(w[: k + 1], dtype=float)
    logs = np.prod([math.log(x) for x in w[1:k]]) if k > 1 else 1.0
    return float(np.prod(n) / n.min() * logs * np.prod(np.square(betas[:k])))


def bound(s: Mapping) -> float:
    """``THM62_C · scale(s)``: the asymptotic upper bound on ``‖g_k‖²_Lip`` with the named constant."""
    return K_("THM62_C") * scale(s)


def stated_probability(s: Mapping) -> float:
    """``1 − Σ_{l=1}^{k} e^{−THM62_PROB_C · n_l}``."""
    w, k = _widths(s), int(s["k"])
    return 1.0 - sum(math.exp(-K_("THM62_PROB_C") * n) for n in w[1 : k + 1])


def in_regime(s: Mapping) -> bool:
    """``k ∈ [L−1]`` and every width ``n_1..n_k ≥ THM62_N_MIN`` (the input dimension ``n_0 = d`` is free)."""
    w, k = _widths(s), int(s["k"])
    L = len(w) - 1
    return 1 <= k <= L - 1 and all(n >= K_("THM62_N_MIN") for n in w[1 : k + 1])


THM_6_2 = statement(
    id="Thm 6.2",
    title="Lipschitz constant of the feature maps",
    paper_version="v5",
    claim="‖g_k‖²_Lip = O(Π_{l=0}^k n_l / min_{l≤k} n_l · Π_{l=1}^{k−1} log n_l · Π_{l≤k} β_l²) w.p. ≥ 1 − Σ_{l≤k} e^{−Ω(n_l)}",
    kind=Kind.ASYMPTOTIC,
    hypotheses=in_regime,
    quantity="‖g_k‖²_Lip",
    upper=lambda s, **_: bound(s),
    probability=lambda s, **_: stated_probability(s),
    section="6",
    notes="Same in v5 and ICML. THM62_C derived for k = 1, calibrated for k ≥ 2; estimates are certified lower bounds.",
)


def _weights(s: Mapping, rng) -> list[np.ndarray]:
    return ntk.init_weights(_widths(s), s.get("betas", "standard"), rng)


def certified_estimate(s: Mapping, Ws, rng) -> float:
    """A certified lower bound of ``‖g_k‖_Lip``: exact (region enumeration) when ``s["exact"]`` is set,
    else ``ntk.lipschitz_lower_estimate`` with the scenario's search effort (``samples``, ``ascent``)."""
    k = int(s["k"])
    if s.get("exact", False):
        return exact_lipschitz(Ws, k).value
    est = ntk.lipschitz_lower_estimate(Ws, k, rng, samples=int(s.get("samples", 128)), ascent_steps=int(s.get("ascent", 15)), starts=4)
    if not est.certified:
        raise RuntimeError(f"no certified point found for scenario {dict(s)}")  # cannot happen for Gaussian weights
    return est.value


def estimate_tolerance(s: Mapping) -> float:
    """Relative rounding of a computed ``‖J‖²_op``: the pattern Jacobian is a product of ``k`` matrices
    (relative error ``≤ Σ n_l · eps`` in norm) and the SVD adds ``(n_k + d)·eps``; squared: doubled; ×2 slack."""
    w, k = _widths(s), int(s["k"])
    return 4.0 * (sum(w[: k + 1]) + k) * EPS


@check("Thm 6.2", "bound", probability=stated_probability)
def bound_trial(s, rng) -> Outcome:
    """Certified lower estimate² ≤ THM62_C · scale at the stated probability; records the naive bound."""
    Ws = _weights(s, rng)
    k = int(s["k"])
    est = certified_estimate(s, Ws, rng)
    b, sc = bound(s), scale(s)
    naive = ntk.naive_lipschitz_upper(Ws, k)
    ok = est * est <= b * (1.0 + estimate_tolerance(s))
    return Outcome(
        bool(ok), implied=est * est / sc, margin=(b - est * est) / b,
        measured={"estimate": est * est, "bound": b, "naive": naive * naive, "naive_over_bound": naive * naive / b,
                  "estimate_over_bound": est * est / b},
    )


def sweep_point(s: Mapping, rng) -> dict:
    """One draw for the scaling sweeps: ``{"estimate": Lip², "bound": ..., "naive": Π‖W_l‖²_op}``."""
    Ws = _weights(s, rng)
    est = certified_estimate(s, Ws, rng)
    naive = ntk.naive_lipschitz_upper(Ws, int(s["k"]))
    return {"estimate": est * est, "bound": bound(s), "naive": naive * naive}
