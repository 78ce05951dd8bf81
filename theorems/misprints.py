"""The paper's misprints, as executable evidence (THEOREMS.md §1 and §3).

1. **Layerwise identity, ``B_L``** (proof of Thm 4.1): the paper prints ``B_L = 1_N/√N``; then the last term
   ``(F_{L−1}F_{L−1}ᵀ)∘(B_LB_Lᵀ)`` is divided by ``N`` and the printed sum misses ``J Jᵀ`` by exactly
   ``(1 − 1/N)·(F_{L−1}F_{L−1}ᵀ)`` (:func:`layerwise_sum` with ``printed=True``); ``B_L = 1_N`` gives ``J Jᵀ``.
2. **Step (d) of Thm 3.2's proof**: printed ``max_{i≠j}|⟨x_i,x_j⟩|^r ≤ d N^{−1/(r−0.5)}``; the proof's tail bound
   (``P(|⟨x_i,x_j⟩| > t) ≤ 2e^{−t²/O(d)}`` with ``t = dN^{−1/(r−0.5)}``) controls ``|⟨x_i,x_j⟩|`` itself, and the
   Gershgorin step needs ``(N−1)max|⟨x_i,x_j⟩|^r = o(d^r)``, which the corrected event gives. Printed, the left
   side is of order ``d^{r/2}`` (``⟨x_i,x_j⟩ ~ √d``) against a right side of order ``d``: for ``r ≥ 4`` it fails with
   probability → 1 as ``d`` grows; for ``r = 2`` it asks ``⟨x_i,x_j⟩² ≤ dN^{−2/3}``, which fails for most pairs.
   :func:`inner_product_events` evaluates both events on one data set.
3. **Probability exponent of Thms 4.1/5.1**: ICML ``N^{2/(r−0.1)}``, v5 ``N^{2/(r/2−0.1)}``
   (:func:`theorems.sec4.prob_exponent`); :func:`exponent_table` tabulates where they differ.
4. **Cor 4.2's choice of r** (proof, Appendix "Proof of Corollary 4.2"): the v5 proof keeps the ICML sentence "pick an
   even integer ``r ≥ 0.1 + 2/δ′``". Thm 4.1 then gives the corollary's ``N^{δ′}`` only if its exponent is ``≤ δ′``:
   with the ICML exponent ``2/(r − 0.1) ≤ δ′ ⇔ r ≥ 0.1 + 2/δ′`` (the printed condition), with the v5 exponent
   ``2/(r/2 − 0.1) ≤ δ′ ⇔ r ≥ 0.2 + 4/δ′`` (the corrected one). :func:`cor42_r_condition` evaluates both; exact
   arithmetic, no randomness.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

import ntk

from .sec4 import prob_exponent

__all__ = ["layerwise_sum", "inner_product_events", "exponent_table", "cor42_r_condition", "smallest_even_at_least"]


def layerwise_sum(X: np.ndarray, weights: Sequence[np.ndarray], printed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``Σ_{k=0}^{L−1} (F_kF_kᵀ)∘(B_{k+1}B_{k+1}ᵀ)`` with ``B_L = 1_N`` (corrected) or ``1_N/√N`` (``printed``);
    returns the sum and the last term ``(F_{L−1}F_{L−1}ᵀ)∘(B_LB_Lᵀ)`` (with the chosen ``B_L``)."""
    fwd = ntk.forward(X, weights)
    Bs = list(ntk.backprop_rows(fwd, weights))
    N = X.shape[0]
    if printed:
        Bs[-1] = Bs[-1] / math.sqrt(N)
    terms = [ntk.gram(fwd.features[k]) * ntk.gram(Bs[k]) for k in range(len(weights))]
    return sum(terms), terms[-1]


def inner_product_events(X: np.ndarray, r: int) -> dict:
    """Both versions of step (d)'s inner-product event on data ``X``: ``printed`` (``max|⟨x_i,x_j⟩|^r ≤ t d``)
    and ``corrected`` (``max|⟨x_i,x_j⟩| ≤ t d``), ``t = N^{−1/(r−0.5)}``, with the two sides."""
    N, d = X.shape
    G = np.abs(X @ X.T)
    np.fill_diagonal(G, 0.0)
    m = float(G.max())
    rhs = d * float(N) ** (-1.0 / (r - 0.5))
    return {"printed": m**r <= rhs, "corrected": m <= rhs, "max_inner": m, "rhs": rhs}


def exponent_table(Ns: Sequence[int], rs: Sequence[int]) -> list[dict]:
    """For each ``(N, r)``: both exponents, both ``N^e`` and their ratio (how much wider the layers before the
    wide one must be under v5 for the same ξ-term)."""
    rows = []
    for r in rs:
        for N in Ns:
            ev, ei = prob_exponent(N, r, "v5"), prob_exponent(N, r, "icml")
            rows.append({"N": N, "r": r, "exp_v5": ev, "exp_icml": ei, "N^e_v5": N**ev, "N^e_icml": N**ei,
                         "ratio": N ** (ev - ei)})
    return rows


def smallest_even_at_least(x: float) -> int:
    """The smallest even integer ``r ≥ max(x, 2)`` (Thm 4.1 needs an even ``r ≥ 2``)."""
    if not math.isfinite(x):
        raise ValueError(f"x must be finite, got {x!r}")
    r = max(2, math.ceil(x - 1e-12))
    return r if r % 2 == 0 else r + 1


def cor42_r_condition(delta_prime: float) -> dict:
    """Cor 4.2's choice of ``r`` for a given ``δ′ > 0``, printed and corrected (item 4 of the module docstring).

    Returns the smallest even ``r`` each condition allows (``printed_r``: ``r ≥ 0.1 + 2/δ′``; ``corrected_r``:
    ``r ≥ 0.2 + 4/δ′``), the exponent Thm 4.1 then gives in each version, and whether it is ``≤ δ′`` — i.e. whether
    Thm 4.1 with that ``r`` implies the corollary's ``N^{δ′}`` term. Exact: the exponents are ``2/(r − 0.1)`` (ICML)
    and ``2/(r/2 − 0.1)`` (v5), :func:`theorems.sec4.prob_exponent`."""
    if not (isinstance(delta_prime, (int, float)) and math.isfinite(delta_prime) and delta_prime > 0):
        raise ValueError(f"delta_prime must be a finite number > 0, got {delta_prime!r}")
    rp = smallest_even_at_least(0.1 + 2.0 / delta_prime)
    rc = smallest_even_at_least(0.2 + 4.0 / delta_prime)
    out = {"delta_prime": float(delta_prime), "printed_r": rp, "corrected_r": rc,
           "v5_exponent_at_printed_r": prob_exponent(2, rp, "v5"), "v5_exponent_at_corrected_r": prob_exponent(2, rc, "v5"),
           "icml_exponent_at_printed_r": prob_exponent(2, rp, "icml")}
    out["printed_enough_for_v5"] = out["v5_exponent_at_printed_r"] <= delta_prime
    out["corrected_enough_for_v5"] = out["v5_exponent_at_corrected_r"] <= delta_prime
    out["printed_enough_for_icml"] = out["icml_exponent_at_printed_r"] <= delta_prime
    return out
