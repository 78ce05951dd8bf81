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
        "2 of G^(2) absorbs the remainder). That derivation covers r = 2 from N ≈ 45 on only (at r ≥ 4 the remainder "
        "N^{−1/(2r−1)} falls below the threshold only for astronomically large N); elsewhere in the regime C_L = 1 is a "
        "convention — the check then tests the statement with this constant beyond what the proof chain guarantees",
        "convention",
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

# ---- Section 5 (Thm 5.1, Lemmas 5.2-5.5) and Appendix C: derived rates, then the constants ------------
def _relu_sq_rate(eta: float) -> float:
    """Cramér–Chernoff rate of the mean of Y = σ(z)², z ~ N(0,1) (E Y = 1/2, E e^{tY} = ½ + ½(1−2t)^{−1/2}):
    the smaller of sup_t [t a − log E e^{tY}] at a = (1±η)/2 (golden-section search, pure python)."""
    def logm(t):
        return math.log(0.5 + 0.5 * (1.0 - 2.0 * t) ** -0.5)
    def sup(a, lo, hi):
        g = (math.sqrt(5.0) - 1.0) / 2.0
        f = lambda t: t * a - logm(t)
        for _ in range(200):
            x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
            if f(x1) < f(x2):
                lo = x1
            else:
                hi = x2
        return f(0.5 * (lo + hi))
    return min(sup((1 + eta) / 2, 0.0, 0.5 - 1e-12), sup((1 - eta) / 2, -200.0, 0.0))


def _lem52_c() -> float:
    """Sufficient absolute constant of Lemma 5.2 from Tropp (2011) Thm 1.1 (matrix Chernoff, ε = 1/2, rate
    c₁ = −log(√2 e^{−1/2})) and Gaussian concentration of ‖F w‖ (Lipschitz constant β‖F‖_F): sup over Q ≥ 2
    of 2(1+u(Q))²/(c₁ max(1, log 4Q)), u(Q) the root of e^{−u²/2}[(1+u)² + 2 + 2/u] = 1/(2Q)."""
    c1 = -math.log(math.sqrt(2.0) * math.exp(-0.5))
    def u_of(Q):
        lo, hi = 1e-9, 100.0
        for _ in range(200):
            u = 0.5 * (lo + hi)
            if math.exp(-u * u / 2) * ((1 + u) ** 2 + 2 + 2 / u) > 1 / (2 * Q):
                lo = u
            else:
                hi = u
        return hi
    best = 0.0
    for i in range(600):
        Q = 2.0 * 10 ** (i / 50.0)  # Q ∈ [2, 2·10^12]; the sup is attained near Q = 2
        best = max(best, 2 * (1 + u_of(Q)) ** 2 / (c1 * max(1.0, math.log(4 * Q))))
    return best


C1_ETA = 0.5

_ALL.extend([
    Constant(
        "LEM52_C", _lem52_c(), "Lemma 5.2",
        "absolute constant c of the width condition n_k ≥ max(N, c Q max(1, log 4Q) log(N/δ))",
        "derived (theorems/constants._lem52_c): truncate A_j = σ(Fw_j)1{‖σ(Fw_j)‖ ≤ t}; Tropp 2011 Thm 1.1 with "
        "ε = 1/2 gives P(λ_min(AAᵀ) ≤ n_kλ_min(Ĝ)/2) ≤ N e^{−c₁ n_k λ_min(Ĝ)/t²}, c₁ = 1/2 − ½log 2 = 0.1534; "
        "‖Fw‖ is β‖F‖_F-Lipschitz with mean ≤ β‖F‖_F, so with t = β‖F‖_F(1+u), ‖Ĝ − G‖ ≤ β²‖F‖_F² e^{−u²/2}"
        "[(1+u)² + 2 + 2/u] ≤ λ/2 once that bracket ≤ 1/(2Q); then n_k ≥ 2(1+u)²Q log(N/δ)/c₁ suffices. "
        "Q ≥ 2N ≥ 2 always (λ ≤ tr G/N = β²‖F‖_F²/(2N)); the sup over Q ≥ 2 of 2(1+u)²/(c₁ max(1, log 4Q)) is "
        "96.65 (attained at Q = 2; it decreases to 4/c₁ ≈ 26 as Q → ∞)",
        "derived",
    ),
    Constant(
        "C1_ETA", C1_ETA, "Lemma C.1",
        "relative band of one layer: ‖f_l(x)‖² ∈ [(1−η), (1+η)]·(n_lβ_l²/2)‖f_{l−1}(x)‖²",
        "convention: the proof uses η = 1/2 (Bernstein with the factors 1/2 and 3/2); kept",
        "convention",
    ),
    Constant(
        "C1_RATE", _relu_sq_rate(C1_ETA), "Lemma C.1",
        "exponent c in P(‖f_l‖² leaves its one-layer band) ≤ 2 e^{−c n_l} (the e^{−Ω(n_l)} terms of Sec. 5 / App. C)",
        "derived: given f_{l−1}(x) ≠ 0, ‖f_l‖²/(β_l²‖f_{l−1}‖²) = Σ_j σ(z_j)² with z_j i.i.d. N(0,1); the "
        "Cramér–Chernoff bound with E e^{tσ(z)²} = ½ + ½(1−2t)^{−1/2} at a = (1±η)/2, η = C1_ETA, gives rates "
        "0.0195 (upper) and 0.0364 (lower); c = the smaller",
        "derived",
    ),
    Constant(
        "THM51_WIDE_C", 1.0, "Thm 5.1",
        "the Ω constant of n_k ≥ C·N log N log(N/δ) (regime of Thm 5.1)",
        "convention: the value that Lemma 5.2 makes sufficient is LEM52_C·q·(1 + log(4q)/log 2) with Q ≤ qN "
        "(q ≈ 5–12 measured), i.e. ~10⁴ — beyond any budget; the suite checks at C = 1, a *harder* regime than the "
        "theorem needs (Lemma 5.2 itself is checked at its own derived threshold)",
        "convention",
    ),
    Constant(
        "THM51_LOGPROD_FRAC", 0.25, "Thm 5.1",
        "the o(·) condition Π_{l=1}^{k−2} log n_l = o(min_{l∈[0,k−1]} n_l) made concrete as ≤ this fraction",
        "convention",
        "convention",
    ),
    Constant(
        "THM51_C_EXP", 0.5, "Thm 5.1",
        "exponent constant in N² exp(−c·min n_l/(N^{2/(r/2−0.1)} Π log n_l)) (Thm 5.1, Lemma 5.5; Lemma C.3 without "
        "the N-power)",
        "convention: A2.2's constant for N(0, I_d) is 1/2 (Tsirelson–Ibragimov–Sudakov) and Thm 6.2's O-constant "
        "for ‖f_k‖²_Lip is taken as 1; not derivable without Thm 6.2's hidden constant",
        "convention",
    ),
    Constant(
        "THM51_REMAINDER", 0.5, "Thm 5.1",
        "fraction of the leading term of a proof-chain lower bound kept after the o(·) remainders (Lemmas C.2–C.4 lower "
        "constants; Thm 5.1 and Lemma 5.5 use the calibrated THM51_LOWER, LEM55_LOWER)",
        "convention: the o(1) terms are below half of the leading term in the regime (as THM32_LOWER's derivation)",
        "convention",
    ),
    Constant(
        "THM51_REGIME_P", 0.95, "Thm 5.1",
        "a Sec. 5 / App. C scenario is inside the regime when its stated probability (named constants) is ≥ this",
        "convention (as THM32_REGIME_P, one notch lower to keep widths within the budget)",
        "convention",
    ),
    Constant(
        "THM51_LOWER", 0.98, "Thm 5.1",
        "C in the lower bound σ_min(F_k)² ≥ C · μ_r² (1−ρ_k) dΠ_{l≤k} n_lβ_l² / 2^k (theorems/sec5.thm51_scale)",
        "calibrated (python scripts/calibrate_sec5.py; theorems/sec5.calibrate_thm51): the scale is the leading order "
        "(2^{−k} from the one-step means, 1−ρ_k the centred fraction of the infinite-width Gram matrix); the proof chain's "
        "own constant (Lemma 5.2's 1/4 times Lemma C.1's bands to the power r) left the measured value 10³–4·10⁹ "
        "above the bound (issue 8). "
        "Calibration data disjoint from the tests': session seed 515151 in the namespace 'calibration: Thm 5.1', δ ∈ "
        "{0.0075, 0.015} (tests: {0.005, 0.01, 0.02}), 192 scenarios (k ∈ {1,2}, r ∈ {2,4,6,8}, Gaussian/sphere, N ∈ {5,7}, "
        "standard/He/LeCun, regime-minimal widths or +25% with a 2× wide layer), 20 draws each: smallest implied "
        "constant 2.955 (r = 2, k = 2, Gaussian, N = 5, LeCun; by r: 2.95, 28.1, 123, 239 for r = 2, 4, 6, 8), so "
        "C = 2.955/SAFETY(3) rounded down. The held-out test (tests/test_thm_5_1.py::test_calibration_margin_held_out) "
        "refutes the margin when σ_min² < 3C·scale more often than the stated probability allows",
        "calibrated",
    ),
    Constant(
        "LEM55_LOWER", 0.42, "Lemma 5.5",
        "a in the lower bound λ_min((F̃F̃ᵀ − Λ11ᵀΛ/‖μ‖²)^{∘r}) ≥ (a (1−ρ_k) dΠn_lβ_l²/2^k)^r",
        "calibrated (python scripts/calibrate_sec5.py; theorems/sec5.calibrate_lem55): root constant t = λ^{1/r}/((1−ρ_k)E_k), "
        "a = min_r (min t at r)·SAFETY^{−1/r}, so the quantity stays ≥ SAFETY(3) × the bound at every calibrated r. Data "
        "disjoint from the tests': seed 515151, namespace 'calibration: Lemma 5.5', odd N ∈ {5,7,9} (tests: even N), 84 "
        "scenarios (k = 1 with r ∈ {2,4,6,8}; k = 2 with r ∈ {4,6,8}; Gaussian/sphere; standard/He), 12 draws each: min t = "
        "0.731, 0.592, 0.507, 0.572 at r = 2, 4, 6, 8 → a = 0.4218 (binding at r = 2 and 6), rounded down. The derived "
        "bounds it replaces, REM·((1−η_d)(1−η)^k(1−ρ_k)E_k)^r and (2(1+η_d)(1+η)^k E_k)^r, were 10⁷–10¹² apart (issue 8)",
        "calibrated",
    ),
    Constant(
        "LEM55_UPPER", 1.71, "Lemma 5.5",
        "b in the upper bound λ_min((F̃F̃ᵀ − Λ11ᵀΛ/‖μ‖²)^{∘r}) ≤ (b (1−ρ_k) dΠn_lβ_l²/2^k)^r",
        "calibrated as LEM55_LOWER (same data): b = max_r (max t at r)·SAFETY^{1/r}; max t = 0.985, 1.080, 1.029, 1.020 at "
        "r = 2, 4, 6, 8 → b = 1.7069 (binding at r = 2), rounded up",
        "calibrated",
    ),
])

_ALL.extend([
    Constant(
        "THM62_PROB_C", 0.5, "Thm 6.2",
        "exponent c in the stated probability 1 − Σ_{l=1}^{k} e^{−c n_l} (the e^{−Ω(n_l)} terms)",
        "convention, consistent with the k = 1 derivation of THM62_C1: Davidson–Szarek gives "
        "‖W‖_op ≤ β(√n_0 + √n_1 + t) w.p. ≥ 1 − e^{−t²/2}; t² = 2c·max(n_0, n_1) makes the failure "
        "probability e^{−c max(n_0,n_1)} ≤ e^{−c n_1}",
        "convention",
    ),
    Constant(
        "THM62_C1", 9.0, "Thm 6.2",
        "C in ‖g_1‖²_Lip = ‖W_1‖²_op ≤ C · max(n_0, n_1) · β_1² (Thm 6.2 at k = 1)",
        "derived: Davidson–Szarek ‖W_1‖_op ≤ β_1(√n_0 + √n_1 + t) w.p. ≥ 1 − e^{−t²/2}; t² = 2c·max(n_0, n_1) with "
        "c = THM62_PROB_C = 1/2 gives ‖W_1‖²_op ≤ (2 + √(2c))² max(n_0,n_1) β_1² = 9·scale w.p. ≥ 1 − e^{−c n_1}",
        "derived",
    ),
    Constant(
        "THM62_C", 11.0, "Thm 6.2",
        "C in ‖g_k‖²_Lip ≤ C · (Π_{l=0}^{k} n_l / min_{l∈[0,k]} n_l) · Π_{l=1}^{k−1} log n_l · Π_{l=1}^{k} β_l², k ≥ 2",
        "calibrated (the proof's constants — Bernstein's c_1, c_2, the 1/2-net, the region count — are not explicit) by "
        "`python scripts/calibrate_thm62.py --draws 16` (seed 620062, check name 'calibration', 316 scenarios with "
        "widths and input dimensions that are never powers of two — the tests use only powers of two; 256 with k ≥ 2): "
        "largest implied constant Lip²/scale = 3.42 at [17, 20, 20] (k = 2; the narrowest widths give the largest), "
        "so C = SAFETY·3.42 = 10.3 → 11 (two significant digits, rounded up). Lip² is the exact value for d = 2 and "
        "a certified lower estimate otherwise (ntk.lipschitz.lipschitz_search; measured gap to the exact value ≤ ×1.25 "
        "on Lip on the fixed networks of tests/ntk/test_lipschitz.py). The k = 1 implied constants of the same run "
        "reach 5.15 < THM62_C1 = 9 (derivation consistent). Held-out margin: tests/test_thm_6_2.py "
        "test_calibrated_constant_keeps_its_margin (check 'calibration margin', event Lip² ≤ (C/SAFETY)·scale at the "
        "stated probability)",
        "calibrated",
    ),
    Constant(
        "THM62_N_MIN", 16, "Thm 6.2",
        "regime: every width n_1..n_k ≥ this ('sufficiently large' widths; log n_l > 0)",
        "convention: at 16 the stated probability 1 − Σ e^{−c n_l} is ≥ 1 − k·e^{−8} and every log factor ≥ 2.7",
        "convention",
    ),
])

_ALL.extend([
    # ---- Section 4 (Thm 4.1, Lemma 4.3, Cor 4.2): theorems/sec4.py -------------------------------------
    Constant(
        "THM41_WIDE_C", 1.0, "Thm 4.1",
        "ξ_k's Ω threshold: n_k ≥ THM41_WIDE_C · N ln N ln(N/δ)",
        "convention: the hidden constant of n_k = Ω(N log N log(N/δ)) set to 1 (natural logs); at N = 8, δ = 0.01 "
        "this is n_k ≥ 111 — already above N by a factor 14, where Lemma 5.2's matrix Chernoff step is comfortable",
        "convention",
    ),
    Constant(
        "THM41_LITTLE_O_RATIO", 0.25, "Thm 4.1",
        "ξ_k's o(·) condition as a ratio: Π_{l=1}^{k−2} ln n_l ≤ ratio · min_{l∈[0,k−1]} n_l",
        "convention: 'o' read as 'at most a quarter of' (the product is empty, = 1, for k ≤ 2, so the condition "
        "then only asks min_{l<k} n_l ≥ 4)",
        "convention",
    ),
    Constant(
        "THM41_C_XI", 1.0, "Thm 4.1",
        "exponent constant of the ξ-term N² exp(−C · min_{l<k} n_l / (N^e Π log n_l)) (e = 2/(r/2−0.1) v5, 2/(r−0.1) ICML)",
        "convention: the proof's constant comes from A2.2 and Thm 6.2's hidden constants (not explicit); 1 is the "
        "neutral choice. It only delimits the regime (which sizes count as 'in') and the stated probability",
        "convention",
    ),
    Constant(
        "THM41_C_WIDTH", 0.125, "Thm 4.1",
        "exponent c in every e^{−Ω(n_l)} term of Thm 4.1 / Lemma 4.3 (e^{−c n_l})",
        "convention, derived only for the activation count: Hoeffding gives P(|‖Σ_l‖_F² − n_l/2| > n_l/4) ≤ "
        "2e^{−n_l/8} (THEOREMS.md C.5). For the norm factors of C.1/C.6 the derived Cramér rate is C1_RATE ≈ 0.0195, "
        "much smaller: with 1/8 the stated probability of the norm bands is optimistic at the widths of the suite "
        "(measured exit probability of the C.1 band at n = 70: 0.057 vs e^{−70/8} = 1.6e−4). The Thm 4.1 / Lemma 4.3 "
        "checks still pass because their bands (THM41_UPPER_BAND, LEM43_BAND_*) multiply to loose products; a "
        "refutation of those checks would first have to be weighed against this choice",
        "convention",
    ),
    Constant(
        "THM41_C_DIM", ((-2.0 + math.sqrt(8.0)) / 4.0) ** 2, "Thm 4.1",
        "exponent c in the e^{−Ω(d)} terms of Thm 4.1 / Lemma 4.3 (‖x‖² within the band [d/2, 3d/2])",
        "derived for N(0, I_d) with the band η = 1/2 of the paper's own proofs: Laurent–Massart P(χ²_d ≤ d/2) ≤ "
        "e^{−d/16}, P(χ²_d ≥ 3d/2) ≤ e^{−cd} with 2√c + 2c = 1/2, c = 0.0429 (the smaller); sphere: sure event; "
        "other A2.2 laws: named assumption",
        "derived",
    ),
    Constant(
        "THM41_UPPER_BAND", 1.5, "Thm 4.1",
        "upper bound λ_min(K̄) ≤ 2^{−(L−1)} · BAND^{L+1} · Σ_{k=1}^{L} d Π n_l Π_{l≠k} β_l²",
        "derived from the proof chain: λ_min ≤ K̄_11 = Σ_k ‖f_k(x_1)‖²‖(B_{k+1})_{1:}‖²; each term has exact mean "
        "2^{−(L−1)} ‖x_1‖² Π n_l Π_{l≠k+1} β_l² (one-step means (n_lβ_l²/2), E‖Σ‖_F² = n/2, E‖S W_L‖² = β_L²‖S‖_F²), and on "
        "the events of the stated probability every random factor (≤ L of them) and ‖x_1‖²/d lie in the paper's "
        "Bernstein band [1/2, 3/2] (proof of Lemma C.1): hence ≤ (3/2)^{L+1} times the mean",
        "derived",
    ),
    Constant(
        "THM41_LOWER", 0.053, "Thm 4.1",
        "lower bound λ_min(K̄) ≥ C · 2^{−(L−1)} [Σ_k ξ_k μ_r² d Π n_l Π_{l≠k+1} β_l² + λ_min(XXᵀ) Π n_l Π_{l≥2} β_l²]",
        "partly derived, partly calibrated. Derived: 2^{−(L−1)} (exact means, as for THM41_UPPER_BAND) and the "
        "factor 1/4 of Lemma 5.2 (σ_min(F_k)² ≥ n_kλ/4); the Schur step contributes min_i ‖B row‖² ≥ (1/2)^{L−k} of its "
        "mean on the Lemma 4.3 event. Lemma 5.5's hidden Θ-constant is not explicit: the value is calibrated by "
        "`python scripts/calibrate_thm41.py --draws 12` (theorems.sec4.calibrate_thm41; 166 s): session seed 314159 and "
        "check name 'calibration: bounds' (the tests' seeds come from other seeds and check names), 704 data-dominated "
        "scenarios with N ∈ {5, 7, 9} (every in-regime (L ≤ 4, k, r ∈ {2,4,6}) cell at the regime's smallest sizes, "
        "β standard/He/LeCun/arbitrary, Gaussian/sphere/hypercube/non-centred data; the tests use N ∈ {4, 6, 8, 10}) and "
        "20 wide-layer-dominant ones (N ∈ {5, 7}), 12 draws each; cells above 2.5·10⁶ weights a draw skipped (all "
        "k = 3 with r = 2, and k = 3 / k = 1, 2 dominant cells with r = 4 at N = 7). Smallest λ_min/lower_scale: 0.161 "
        "(L = 4, k = 1, N = 9, r = 2, He, Gaussian; next 0.276, 0.296, 0.310, all r = 2), so min/SAFETY = 0.0538, rounded "
        "down to 0.053 (theorems.calibration.SAFETY = 3). Held out: tests/test_thm_4_1.py "
        "test_calibrated_lower_constant_keeps_its_margin runs the bound with 3 × THM41_LOWER at the stated probability on "
        "the tests' tightest r = 2 cells (check 'bounds: calibration margin') and is refuted when the margin drops below 3; "
        "every run also prints the margin over its own records (python -m theorems.calibration)",
        "calibrated",
    ),
    Constant(
        "THM41_REGIME_P", 0.95, "Thm 4.1",
        "a Thm 4.1 / Lemma 4.3 / Cor 4.2 scenario is in the regime when its stated probability is ≥ this",
        "convention: 'sufficiently large' made concrete; 0.95 (rather than Thm 3.2's 0.99) keeps the non-wide "
        "widths at ≈ 70–90 for N ≤ 12 (the N Σ e^{−n_l/8} term), i.e. 'polylog' layers stay small",
        "convention",
    ),
    Constant(
        "THM41_SPREAD_FACTOR", 4.0, "Thm 4.1",
        "remark: with β_{k+1} = min β_l (He/LeCun), mean λ_min / (2^{−(L−1)} (dΠn_l)(Πβ_l²)(min β_l)^{−2}) across "
        "scenarios must stay within this factor (max/min)",
        "convention: Θ(·) allows any fixed factor; 4 is twice the spread expected from the r-dependence and "
        "depth-dependence of the hidden constants at these sizes (measured max/min ≈ 1.5–2)",
        "convention",
    ),
    Constant(
        "THM41_TIGHT_SPREAD", 6.5, "Thm 4.1",
        "tightness (remark after Thm 4.1): with some ξ_k = 1 and β_{k+1} = min β_l, the medians of λ_min(K̄)/theta_scale "
        "(theta_scale = 2^{−(L−1)}(dΠn_l)(Πβ_l²)(min β_l)^{−2}) across wide-layer positions and β presets stay within "
        "this factor (max/min)",
        "convention, its value calibrated: Θ allows any fixed factor (the remark's constants may depend on L, hence on the "
        "position k ∈ [L−1]); set to twice the spread measured by `python scripts/calibrate_thm41.py --draws 12` on the 20 "
        "wide-layer-dominant calibration cells (N ∈ {5, 7}, He/LeCun/arbitrary β, every position of L ∈ {3, 4}, seed "
        "314159 — disjoint from the tests' N = 4 cells and seeds): medians of λ_min/theta_scale from 0.24 (arbitrary β, "
        "L = 4, k = 3) to 0.72 (He, L = 3, k = 1), ×3.20, so 2 × 3.20 rounded up to a half = 6.5",
        "calibrated",
    ),
    Constant(
        "LEM43_BAND_LO", 0.5, "Lemma 4.3",
        "lower band per random factor: ‖row‖²/scale ≥ LO^{L−k} · 2^{−(L−1−k)}",
        "derived: the paper's Bernstein band [1/2, 3/2] around each one-step conditional mean (proof of Lemma C.1), "
        "applied to the L−k random factors Σ_{k+1}, W_{k+2}Σ_{k+2}, …, W_{L−1}Σ_{L−1}, W_L; exact mean 2^{−(L−1−k)}",
        "derived",
    ),
    Constant(
        "LEM43_BAND_HI", 1.5, "Lemma 4.3",
        "upper band per random factor: ‖row‖²/scale ≤ HI^{L−k} · 2^{−(L−1−k)}",
        "derived: as LEM43_BAND_LO (upper edge of the band)",
        "derived",
    ),
    Constant(
        "LEM43_SPREAD_FACTOR", 3.0, "Lemma 4.3",
        "medians of the implied constant ‖row‖²/(2^{−(L−1−k)} β_L² n_{k+1} Π n_lβ_l²) across (L, k) stay within this "
        "factor (max/min)",
        "convention: the implied constant has mean exactly 1 for every (L, k) (C.6's one-step means); Θ allows any fixed "
        "factor, and 3 = LEM43_BAND_HI/LEM43_BAND_LO is the width of one random factor's Bernstein band (the medians sit "
        "below 1 by the skew of the chi-square-like factors, ≈ 0.9–1.0 at width 256, He)",
        "convention",
    ),
    Constant(
        "COR42_DELTA_PRIME", 0.5, "Cor 4.2",
        "the free δ' > 0 of Cor 4.2's probability N² exp(−Ω(min n_l / (N^{δ'} Π log n_l)))",
        "convention: the corollary holds for every δ' > 0; 1/2 is a middle choice",
        "convention",
    ),
])

_ALL.append(
    Constant(
        "THM32_SPREAD_FACTOR", 2.0, "Thm 3.2",
        "implied constant λ_min(K^(L))/(L d) across in-regime scenarios (N, d, L, law) must stay within this factor "
        "(max/min): the Θ-statement's constant is fixed, so its spread over the regime is bounded",
        "convention: Θ allows any fixed factor; measured max/min ≈ 1.15 over L ∈ {2, 3, 5}, N ∈ {8, 16, 32} at the "
        "regime's smallest d (development run, seed 0), so 2 leaves room for other laws and seeds",
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
