"""Every hidden constant the suite assumes, with its provenance — the only place such numbers live.

The asymptotic statements of the paper (THEOREMS.md §4) hide constants in ``Ω``, ``O``, ``Θ`` and in
the thresholds "sufficiently large". To check them, each hidden constant is given a *named* value here,
either **derived** (from a step of the proof chain with a stated tail bound; the derivation is in
``provenance``), or a **convention** (a threshold the suite chooses to delimit the regime, stated as
such). A verdict on an asymptotic statement is always "with these constants": a refutation refutes the
statement *with the recorded constants*, and the report prints them.

Notation: ``η`` is the relative band for squared norms, ``‖x_i‖² ∈ [(1−η)d, (1+η)d]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["CONSTANTS", "Constant", "get", "value"]


@dataclass(frozen=True)
class Constant:
    name: str
    value: float
    statement: str
    meaning: str
    provenance: str
    origin: str  # "derived" | "convention" | "calibrated"


def _laurent_massart_upper(eta: float) -> float:
    """Largest ``c`` with ``2√c + 2c ≤ η``: then ``P(χ²_d ≥ (1+η)d) ≤ e^{−cd}`` (Laurent & Massart 2000)."""
    t = (-2.0 + math.sqrt(4.0 + 8.0 * eta)) / 4.0  # root of 2t² + 2t − η = 0, t = √c
    return t * t


ETA = 0.25
C_NORM_GAUSS = min(ETA**2 / 4.0, _laurent_massart_upper(ETA))

_ALL = [
    Constant(
        "ETA", ETA, "Thm 3.2",
        "relative band of the squared-norm event ‖x_i‖² ∈ [(1−η)d, (1+η)d] (proof step (d))",
        "convention: any η ∈ (0,1) works in the proof; 1/4 keeps the Gershgorin margin (1−η)^r − (N−1)t^r "
        "positive for r = 2 from N ≈ 8 on, while the tail exponent C_NORM stays usable at d ≳ 10³",
        "convention",
    ),
    Constant(
        "C_NORM", C_NORM_GAUSS, "Thm 3.2",
        "exponent c₁ in P(∃i: |‖x_i‖² − d| > ηd) ≤ 2N e^{−c₁ d} (the N e^{−Ω(d)} term)",
        "derived for N(0, I_d): Laurent–Massart, P(χ²_d ≤ (1−η)d) ≤ e^{−η²d/4} and P(χ²_d ≥ (1+η)d) ≤ e^{−cd} "
        "with 2√c + 2c = η; c₁ = min of the two (= 0.01263 at η = 1/4). For √d·S^{d−1} the event is sure. "
        "For other A2.2 laws the constant of A2.2 differs: used there as a named assumption",
        "derived",
    ),
    Constant(
        "C_INNER", 1.0 / (2.0 * (1.0 + ETA)), "Thm 3.2",
        "exponent c₂ in P(∃i≠j: |⟨x_i,x_j⟩| > t d) ≤ N² e^{−c₂ t² d} (the N² e^{−Ω(dN^{−2/(r−0.5)})} term with "
        "t = N^{−1/(r−0.5)})",
        "derived for N(0, I_d): given x_j with ‖x_j‖² ≤ (1+η)d, ⟨x_i,x_j⟩ ~ N(0, ‖x_j‖²), so "
        "P(|⟨x_i,x_j⟩| > td) ≤ 2e^{−t²d/(2(1+η))}; a union bound over N(N−1)/2 pairs gives N². For √d·S^{d−1}: "
        "P(|⟨u,v⟩| > t) ≤ 2e^{−dt²/2}, which is stronger",
        "derived",
    ),
    Constant(
        "THM32_LOWER", 1.0, "Thm 3.2",
        "C_L in λ_min(K^(L)) ≥ C_L · c_r · μ_r² · d with c_r = (1−η)^r/(1+η)^{r−1}",
        "derived from steps (a)–(d): on the events of C_NORM and C_INNER, λ_min(K^(L)) ≥ λ_min(G^(2)) ≥ "
        "2μ_r² d [(1−η)^r − (N−1)t^r]/(1+η)^{r−1} with t = N^{−1/(r−0.5)}, and (N−1)t^r < N^{−1/(2r−1)} → 0: "
        "once the remainder is below half the leading term the bound is ≥ 1·c_r μ_r² d. So C_L = 1 (the factor "
        "2 of G^(2) absorbs the remainder)",
        "derived",
    ),
    Constant(
        "THM32_UPPER", 1.0 + ETA, "Thm 3.2",
        "C_U in λ_min(K^(L)) ≤ C_U · L · d",
        "derived from step (e): λ_min ≤ tr K^(L)/N = L·mean‖x_i‖² ≤ (1+η) L d on the C_NORM event",
        "derived",
    ),
    Constant(
        "THM32_REGIME_P", 0.99, "Thm 3.2",
        "a scenario is inside the asymptotic regime when its stated probability (with C_NORM, C_INNER) is ≥ this",
        "convention: 'sufficiently large N, d' made concrete — below it the stated probability is too weak for "
        "the statement to say much",
        "convention",
    ),
    Constant(
        "THM32_N_MIN", 8, "Thm 3.2",
        "regime: N ≥ this ('sufficiently large N')",
        "convention: below 8 points the Gershgorin remainder and the union bounds are meaningless",
        "convention",
    ),
]

_ALL.append(
    Constant(
        "SCALING_EXPONENT_WINDOW", 0.1, "all asymptotic statements",
        "a fitted log-log exponent must lie within ± this of the exponent a Θ-statement implies",
        "convention: Θ(·) fixes the exponent only asymptotically; at the sizes of a run, lower-order terms "
        "(relative corrections of order d^{−1/2} and N^{−1/2}) bend the curve by a few hundredths over a decade. "
        "Measured for Thm 3.2 at N = 16, d ∈ [2^10, 2^14]: slope ≈ 1.03; at d ∈ [2^6, 2^12]: 1.10 (outside the "
        "regime) — so 0.1 separates the asymptotic exponent from its neighbours 0.5 and 2",
        "convention",
    )
)

CONSTANTS: dict[str, Constant] = {c.name: c for c in _ALL}


def get(name: str) -> Constant:
    try:
        return CONSTANTS[name]
    except KeyError:
        raise KeyError(f"unknown constant {name!r}; known: {sorted(CONSTANTS)}") from None


def value(name: str) -> float:
    return get(name).value
