"""Section 5 — smallest singular values of feature matrices: Thm 5.1, Lemmas 5.2–5.5 (THEOREMS.md §3).

**Thm 5.1 (v5).** ``μ_r² Ω(d Π_{l≤k} n_lβ_l²) ≤ σ_min(F_k)² ≤ O(d Π_{l≤k} n_lβ_l²)`` w.p.
``≥ 1 − δ − N² exp(−Ω(min_{l∈[0,k−1]} n_l/(N^{2/(r/2−0.1)} Π_{l=1}^{k−2} log n_l))) − N Σ_{l<k} e^{−Ω(n_l)} − N e^{−Ω(d)}``.
The ICML print has ``N^{2/(r−0.1)}`` (check ``bounds-icml``, ``version="icml"``). Named constants: THM51_* ,
C1_ETA/C1_RATE (the e^{−Ω(n_l)} terms), ETA/C_NORM (the e^{−Ω(d)} term). Lower constant derived at leading
order from the proof chain (Lemma 5.2 ``σ_min² ≥ n_kλ/4``, Lemma 5.3, Lemma 5.4/5.5 with the centred fraction
``1 − ρ_{k−1}`` — see :func:`lower_bound`); upper from ``σ_min² ≤ min_i ‖f_k(x_i)‖²`` and Lemma C.1's bands.

**Lemma 5.2** (explicit once ``c = LEM52_C`` is fixed; derivation in theorems/constants.py). **Lemma 5.3** and
**Lemma 5.4 (v5)** exact. The ICML form of Lemma 5.4 (v5's title-page note: "corrects a mistake in the argument
of Lemma 5.4 ... also affects Lemma 5.5"; neither the v5 source nor THEOREMS.md reprints the old statement, so
the suite's encoding is a reconstruction of the ICML print — verify it against the ICML PDF before citing) is
encoded as ``λ_min((F_kF_kᵀ)^{∘r}) ≥ λ_min((F̃_kF̃_kᵀ)^{∘r})`` (its Loewner form implies this one, so a
counterexample to this refutes both) — check ``icml-form``; it is false (:func:`icml54_counterexample`).
**Lemma 5.5 (v5)** asymptotic, ``μ_k = E_x f_k(x)``: exact for ``k = 1`` and Gaussian data
(``E_x σ(⟨w_j,x⟩) = ‖w_j‖/√(2π)``), otherwise a Monte Carlo mean over ``mc`` fresh samples whose standard
error is recorded (Lemma 5.4's inequality holds for any nonzero ``μ``, so only 5.5's value depends on it).

Decision recorded: constants derived for zero-mean isotropic in-regime laws (Gaussian, sphere), where the
population feature correlation of independent inputs is the arc-cosine iterate ``ρ_k`` of ``ρ_0 = 0``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

import ntk
from generators.lookup import law_from_spec

from .constants import value as K_
from .harness import Outcome, check
from .statement import Kind, statement

EPS = np.finfo(np.float64).eps


# ------------------------------------------------------------------------------------- helpers
def rho(k: int) -> float:
    """``ρ_k``: normalised population correlation ``⟨f_k(x), f_k(y)⟩/(‖f_k(x)‖‖f_k(y)‖)`` of independent
    ``x, y`` at infinite width for zero-mean isotropic data: ``ρ_0 = 0``, ``ρ_{l+1} = κ_1(arccos ρ_l)``."""
    r = 0.0
    for _ in range(k):
        th = math.acos(min(1.0, max(-1.0, r)))
        r = (math.sin(th) + (math.pi - th) * math.cos(th)) / math.pi
    return r


def data_band(s: Mapping) -> float:
    """Relative band of ``‖x‖²/d``: 0 on the sphere (exact), ETA otherwise."""
    return 0.0 if s["law"]["name"] == "sphere" else K_("ETA")


def feature_scale(s: Mapping, k: int) -> float:
    """``d Π_{l≤k} n_l β_l²`` (the scale of Thm 5.1 and App. C)."""
    w, b = s["widths"], s["betas"]
    return float(w[0] * np.prod([w[l] * b[l - 1] ** 2 for l in range(1, k + 1)]))


def band(s: Mapping, k: int) -> tuple[float, float]:
    """``((1−η_d)(1−η)^k, (1+η_d)(1+η)^k)``: the product of the data band and ``k`` one-layer bands."""
    e, h = data_band(s), K_("C1_ETA")
    return (1 - e) * (1 - h) ** k, (1 + e) * (1 + h) ** k


def offdiag_exponent(N: int, r: int, version: str = "v5") -> float:
    """``N^{2/(r/2−0.1)}`` (v5) or ``N^{2/(r−0.1)}`` (ICML)."""
    return float(N) ** (2.0 / ((r / 2 if version == "v5" else r) - 0.1))


def logprod(widths, lo: int, hi: int) -> float:
    """``Π_{l=lo}^{hi} log n_l`` (1 if empty)."""
    return float(np.prod([math.log(widths[l]) for l in range(lo, hi + 1)])) if hi >= lo else 1.0


def norm_terms(s: Mapping, layers) -> float:
    """``2N Σ_l e^{−C1_RATE n_l}`` over ``layers``."""
    return 2 * s["N"] * sum(math.exp(-K_("C1_RATE") * s["widths"][l]) for l in layers)


def data_term(s: Mapping) -> float:
    """``2N e^{−C_NORM d}`` (0 on the sphere)."""
    return 0.0 if s["law"]["name"] == "sphere" else 2 * s["N"] * math.exp(-K_("C_NORM") * s["widths"][0])


def wide_threshold(N: int, delta: float) -> int:
    """``⌈THM51_WIDE_C · N log N log(N/δ)⌉`` (and at least ``N``)."""
    return max(N, math.ceil(K_("THM51_WIDE_C") * N * math.log(N) * math.log(N / delta) - 1e-9))


def _law_ok(s) -> bool:
    law = law_from_spec(s["law"])
    return {"A2.1", "A2.2", "zero-mean"} <= set(law.satisfies) and not law.violates


# ----------------------------------------------------------------------------------------- Thm 5.1
def thm51_probability(s: Mapping, version: str = "v5") -> float:
    N, k, r, w = s["N"], s["k"], s["r"], s["widths"]
    m = min(w[:k])  # min over l ∈ [0, k−1]
    off = N**2 * math.exp(-K_("THM51_C_EXP") * m / (offdiag_exponent(N, r, version) * logprod(w, 1, k - 2)))
    return 1.0 - s["delta"] - off - norm_terms(s, range(1, k)) - data_term(s)


def lower_bound(s: Mapping) -> float:
    """``REM · μ_r² · (b_lo^r (1−ρ_{k−1})^r / (4 b_hi^{r−1})) · d Π n_lβ_l² / 2^{k−1}`` with ``b`` the bands of
    layer ``k−1``. Chain: Lemma 5.2 (``n_kλ/4``), Lemma 5.3 (``λ ≥ β_k² μ_r² λ_min((FFᵀ)^{∘r})/max‖f‖^{2(r−1)}``),
    Lemmas 5.4–5.5 (``λ_min ≈ min_i ‖f̃_i‖^{2r}``, ``‖f̃_i‖² ≈ (1−ρ_{k−1})‖f_i‖²``), ``‖f_{k−1}‖² ≈ E_{k−1}``."""
    k, r = s["k"], s["r"]
    lo, hi = band(s, k - 1)
    c = (lo * (1 - rho(k - 1))) ** r / (4 * hi ** (r - 1))
    return K_("THM51_REMAINDER") * ntk.relu_hermite(r) ** 2 * c * feature_scale(s, k) / 2 ** (k - 1)


def upper_bound(s: Mapping) -> float:
    """``σ_min² ≤ min_i ‖f_k(x_i)‖² ≤ (1+η_d)(1+η)^k d Π n_lβ_l² / 2^k`` (Lemma C.1's bands)."""
    return band(s, s["k"])[1] * feature_scale(s, s["k"]) / 2 ** s["k"]


def thm51_in_regime(s: Mapping) -> bool:
    N, k, r, w = s["N"], s["k"], s["r"], s["widths"]
    return (
        _law_ok(s) and r >= 2 and r % 2 == 0 and 1 <= k == len(w) - 1
        and w[k] >= wide_threshold(N, s["delta"])
        and logprod(w, 1, k - 2) <= K_("THM51_LOGPROD_FRAC") * min(w[:k])
        and thm51_probability(s) >= K_("THM51_REGIME_P")
    )


def thm51_min_width(law: str, N: int, k: int, r: int, delta: float, p: float) -> int:
    """Smallest common width ``m`` (for ``d`` and ``n_1..n_{k−1}``) with Thm 5.1's probability ``≥ p``."""
    def prob(m):
        s = {"law": {"name": law}, "N": N, "k": k, "r": r, "delta": delta, "widths": [m] * k + [wide_threshold(N, delta)]}
        return thm51_probability(s)
    hi = 8
    while prob(hi) < p:
        hi *= 2
    lo = hi // 2
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if prob(mid) >= p else (mid + 1, hi)
    return lo


THM_5_1 = statement(
    id="Thm 5.1", title="Smallest singular value of the feature matrix F_k", paper_version="v5",
    claim="μ_r² Ω(dΠ_{l≤k} n_lβ_l²) ≤ σ_min(F_k)² ≤ O(dΠ_{l≤k} n_lβ_l²) w.p. ≥ 1 − δ − N² e^{−Ω(min n_l/(N^{2/(r/2−0.1)}Π log n_l))} − NΣe^{−Ω(n_l)} − Ne^{−Ω(d)}",
    kind=Kind.ASYMPTOTIC, hypotheses=thm51_in_regime, quantity="σ_min(F_k)²",
    lower=lambda s, **_: lower_bound(s), upper=lambda s, **_: upper_bound(s),
    probability=lambda s, **_: thm51_probability(s), section="5",
    notes="ICML print: exponent N^{2/(r−0.1)} (check bounds-icml). n_k threshold constant THM51_WIDE_C = 1 (convention). "
          "Restriction of the suite: scenarios use zero-mean laws only, because the derived lower constant uses the "
          "infinite-width correlation of zero-mean isotropic data (Thm 5.1 itself assumes only A2.1–A2.2).",
)


def features(s: Mapping, rng, k: int | None = None):
    """Data ``X`` and the forward pass of a network with hidden widths ``widths[1:]`` (output width 1)."""
    k = s["k"] if k is None else k
    X = law_from_spec(s["law"]).sample(s["N"], s["widths"][0], rng)
    Ws = ntk.init_weights(list(s["widths"][: k + 1]) + [1], list(s["betas"][:k]) + [1.0], rng)
    return X, Ws, ntk.forward(X, Ws)


def _thm51_trial(s, rng) -> Outcome:
    _, _, fw = features(s, rng)
    e = ntk.sigma_min(fw.features[s["k"]])
    v, err = e.value**2, 2 * e.value * e.floor + e.floor**2
    lo, hi = lower_bound(s), upper_bound(s)
    scale = ntk.relu_hermite(s["r"]) ** 2 * feature_scale(s, s["k"])
    ok = (v >= lo - err) and (v <= hi + err)
    return Outcome(ok, implied=v / scale, margin=min((v - lo) / scale, (hi - v) / feature_scale(s, s["k"])),
                   measured={"sigma_min_sq": v, "floor": err, "lower": lo, "upper": hi,
                             "implied_upper": v / feature_scale(s, s["k"])})


check("Thm 5.1", "bounds", probability=thm51_probability, version="v5")(_thm51_trial)
check("Thm 5.1", "bounds-icml", probability=lambda s: thm51_probability(s, "icml"), version="icml",
      description="same event at the ICML print's probability (exponent N^{2/(r−0.1)})")(_thm51_trial)


def sigma_min_sq(s: Mapping, rng) -> float:
    """One draw of ``σ_min(F_k)²`` (sweeps)."""
    return ntk.sigma_min(features(s, rng)[2].features[s["k"]]).value ** 2


# ------------------------------------------------------------------------------------- Lemma 5.2
def lem52_threshold(F, beta: float, N: int, delta: float):
    """``(n_k*, λ, Q)``: ``λ = λ_min(E σ(Fw)σ(Fw)ᵀ)`` (closed form), ``Q = β²‖F‖_F²/λ`` and the lemma's width
    ``max(N, c Q max(1, log 4Q) log(N/δ))`` rounded up; ``None`` threshold if ``λ`` is below its floor."""
    G = ntk.relu_expectation(F, beta)
    e = ntk.lambda_min(G)
    if e.value <= e.floor:
        return None, e.value, math.inf
    Q = beta**2 * float(np.sum(F * F)) / e.value
    nk = max(N, math.ceil(K_("LEM52_C") * Q * max(1.0, math.log(4 * Q)) * math.log(N / delta)))
    return nk, e.value, Q


def relu_layer_gram(F, beta: float, n: int, rng) -> np.ndarray:
    """``F_k F_kᵀ`` for ``F_k = σ(F W)``, ``W`` with ``n`` i.i.d. ``N(0, β²I)`` columns, drawn exactly in law:
    the columns of ``F W`` are i.i.d. ``N(0, β² F Fᵀ)`` (``N×N`` square root times ``N×n`` normals), so the cost
    is ``O(N n)`` instead of ``O(n_{k−1} n)``."""
    w, V = np.linalg.eigh(F @ F.T)
    root = (V * np.sqrt(np.clip(w, 0, None))) @ V.T
    Fk = np.maximum(beta * root @ rng.standard_normal((F.shape[0], n)), 0.0)
    return Fk @ Fk.T, float(np.max(np.sum(Fk * Fk, axis=1)))


def _lem52_trial(s, rng) -> Outcome:
    k = s["k"]
    X = law_from_spec(s["law"]).sample(s["N"], s["widths"][0], rng)
    F = X
    for l in range(1, k):
        F = np.maximum(F @ (rng.standard_normal((s["widths"][l - 1], s["widths"][l])) * s["betas"][l - 1]), 0.0)
    beta = s["betas"][k - 1]
    nk, lam, Q = lem52_threshold(F, beta, s["N"], s["delta"])
    if nk is None:  # λ = 0: the lemma's condition cannot hold (Q = ∞); vacuous
        return Outcome(True, measured={"vacuous": 1.0})
    K, rowmax = relu_layer_gram(F, beta, nk, rng)
    e = ntk.lambda_min(K, extra_error=nk * EPS * rowmax)
    bound = nk * lam / 4
    return Outcome(e.value >= bound - e.floor, implied=e.value / (nk * lam), margin=(e.value - bound) / (nk * lam),
                   measured={"n_k": nk, "lambda": lam, "Q": Q, "sigma_min_sq": e.value, "bound": bound})


LEM_5_2 = statement(
    id="Lemma 5.2", title="Matrix Chernoff bound for σ_min(F_k)", paper_version="v5",
    claim="n_k ≥ max(N, cQ max(1, log 4Q) log(N/δ)) ⇒ σ_min(F_k)² ≥ n_kλ/4 w.p. ≥ 1 − δ over W_k",
    kind=Kind.ASYMPTOTIC, quantity="σ_min(F_k)²/(n_kλ)", lower=lambda s, **_: 0.25,
    probability=lambda s, **_: 1 - s["delta"], section="5",
    notes="c = LEM52_C derived from Tropp (2011) Thm 1.1; n_k set to the lemma's threshold inside each trial.",
)
check("Lemma 5.2", "chernoff", probability=lambda s: 1 - s["delta"])(_lem52_trial)


# ------------------------------------------------------------------------------------- Lemma 5.3
def _hadamard_gram(F, r):
    P = (F @ F.T) ** r
    return np.triu(P) + np.triu(P, 1).T


def lemma53_sides(F, beta: float, r: int) -> tuple[float, float, float]:
    """``(lhs, rhs, tol)`` of Lemma 5.3 for any ``F`` without zero rows.

    Error analysis: every entry of the closed form ``β²‖a‖‖b‖κ_1(θ)/2`` carries relative error ``≤ c(n+8)eps``
    (norms, the angle from a stable formula, a few products; c ≤ 4), so ``λ_min`` is exact for a perturbation of
    norm ``≤ 4(n+8)N eps max|G|`` plus the eigensolver floor; ``(FFᵀ)^{∘r}`` has entry error ``≤ (n + r + 2)eps``
    relative to ``max_i ‖F_i‖^{2r}`` (Gram sums, then r products) — the rhs' tolerance is that times ``N``,
    plus its floor, times ``β²μ_r²/max‖F_i‖^{2(r−1)}``."""
    N, n = F.shape
    G = ntk.relu_expectation(F, beta)
    lg = ntk.lambda_min(G)
    P = _hadamard_gram(F, r)
    lp = ntk.lambda_min(P)
    sq = np.einsum("ij,ij->i", F, F)
    coef = beta**2 * ntk.relu_hermite(r) ** 2 / sq.max() ** (r - 1)
    tol = lg.floor + 4 * (n + 8) * N * EPS * np.abs(G).max() + coef * (lp.floor + (n + r + 2) * N * EPS * sq.max() ** r)
    return lg.value, coef * lp.value, float(tol)


LEM_5_3 = statement(
    id="Lemma 5.3", title="Expected ReLU Gram vs Khatri–Rao powers", paper_version="v5",
    claim="λ_min(E_w σ(Fw)σ(Fw)ᵀ) ≥ β²μ_r² λ_min((FFᵀ)^{∘r})/max_i‖F_i‖^{2(r−1)} for any F, integer r > 0",
    kind=Kind.EXACT, quantity="λ_min(E σ(Fw)σ(Fw)ᵀ)", section="5",
)


# ------------------------------------------------------------------------------------- Lemma 5.4
def lemma54_matrix(F, mu) -> np.ndarray:
    """``F̃F̃ᵀ − Λ11ᵀΛ/‖μ‖²`` with ``F̃ = F − 1μᵀ``, ``Λ = diag(Fμ − ‖μ‖²1)``."""
    Ft = F - mu[None, :]
    lam = F @ mu - mu @ mu
    B = Ft @ Ft.T - np.outer(lam, lam) / (mu @ mu)
    return 0.5 * (B + B.T)


def lemma54_gap(F, mu, r: int) -> tuple[float, float]:
    """``(λ_min((FFᵀ)^{∘r} − B^{∘r}), tol)``; v5 Lemma 5.4 says the first is ``≥ 0``.

    Error analysis with ``M = (max‖F_i‖ + ‖μ‖)²`` (every entry of ``FFᵀ`` and of ``B`` is ``≤ M`` in modulus —
    ``B`` is PSD with diagonal ``≤ ‖F̃_i‖²``): forming ``F̃``, the Gram sums and ``Λ`` costs ``≤ (n+4)eps·M``
    per entry, and ``Λ_iΛ_j/‖μ‖²`` adds ``2(n+2)eps·M^{3/2}/‖μ‖`` (the error of one ``Λ`` times the other's
    ``|Λ_j|/‖μ‖² ≤ √M/‖μ‖``). The ``r``-th power multiplies an entry error by ``≤ r M^{r−1}`` and adds
    ``r eps M^r``. ``λ_min`` of the difference is then exact up to ``N`` times the entry error plus its floor."""
    N, n = F.shape
    A = _hadamard_gram(F, r)
    B = lemma54_matrix(F, mu) ** r
    e = ntk.lambda_min(A - B)
    nm = math.sqrt(float(mu @ mu))
    M = (math.sqrt(float(np.max(np.einsum("ij,ij->i", F, F)))) + nm) ** 2
    eb = (n + 4) * EPS * M + 2 * (n + 2) * EPS * M**1.5 / nm
    tol = e.floor + N * (2 * r * M ** (r - 1) * eb + 2 * r * EPS * M**r)
    return e.value, float(tol)


def icml54_sides(F, mu, r: int) -> tuple[float, float, float]:
    """ICML form: ``(λ_min((FFᵀ)^{∘r}), λ_min((F̃F̃ᵀ)^{∘r}), tol)``; the ICML print claims first ≥ second."""
    N, n = F.shape
    a = ntk.lambda_min(_hadamard_gram(F, r))
    b = ntk.lambda_min(_hadamard_gram(F - mu[None, :], r))
    nm = math.sqrt(float(mu @ mu))
    M = (math.sqrt(float(np.max(np.einsum("ij,ij->i", F, F)))) + nm) ** 2
    return a.value, b.value, float(a.floor + b.floor + 2 * N * (n + r + 4) * EPS * M**r)


def icml54_counterexample():
    """``F`` with collinear rows (``(FFᵀ)^{∘r}`` singular) and ``μ`` off their line: ``F̃`` has independent rows.
    ``F = [[1,0],[2,0]]``, ``μ = (0,1)``: ``F̃F̃ᵀ = [[2,3],[3,5]]``, so for ``r = 2``
    ``λ_min((F̃F̃ᵀ)^{∘2}) = λ_min([[4,9],[9,25]]) = 14.5 − √(10.5²+81) ≈ 0.67 > 0 = λ_min((FFᵀ)^{∘2})``."""
    return np.array([[1.0, 0.0], [2.0, 0.0]]), np.array([0.0, 1.0]), 2


LEM_5_4 = statement(
    id="Lemma 5.4", title="Centering features", paper_version="v5",
    claim="(FFᵀ)^{∘r} ⪰ (F̃F̃ᵀ − Λ11ᵀΛ/‖μ‖²)^{∘r} for any F, nonzero μ, integer r > 0",
    kind=Kind.EXACT, quantity="λ_min((FFᵀ)^{∘r} − (F̃F̃ᵀ − Λ11ᵀΛ/‖μ‖²)^{∘r})", section="5",
    notes="ICML print, as reconstructed by the suite (neither THEOREMS.md nor the v5 source reprints it; corrected in "
          "v5): λ_min((FFᵀ)^{∘r}) ≥ λ_min((F̃F̃ᵀ)^{∘r}) — false (check icml-form). Verify against the ICML PDF before citing.",
)


def _icml54_trial(s, rng) -> Outcome:
    F, mu = np.asarray(s["F"], float), np.asarray(s["mu"], float)
    a, b, tol = icml54_sides(F, mu, s["r"])
    return Outcome(a >= b - tol, margin=a - b, measured={"lambda_min_FF": a, "lambda_min_centered": b, "tol": tol})


check("Lemma 5.4", "icml-form", version="icml",
      description="ICML print: λ_min((FFᵀ)^{∘r}) ≥ λ_min((F̃F̃ᵀ)^{∘r}) on an explicit input")(_icml54_trial)


# ------------------------------------------------------------------------------------- Lemma 5.5
def population_mean(s: Mapping, Ws, k: int, rng) -> tuple[np.ndarray, float]:
    """``(μ_k, standard error of ‖μ̂ − μ‖)``: exact for ``k = 1`` and Gaussian data (``‖w_j‖/√(2π)``), else the
    mean over ``s["mc"]`` fresh samples with ``E‖μ̂ − μ‖² = tr Cov(f_k)/M`` estimated from them."""
    if k == 1 and s["law"]["name"] == "gaussian":
        return np.linalg.norm(Ws[0], axis=0) / math.sqrt(2 * math.pi), 0.0
    M = s["mc"]
    Z = law_from_spec(s["law"]).sample(M, s["widths"][0], rng)
    f = ntk.forward(Z, Ws).features[k]
    mu = f.mean(axis=0)
    return mu, math.sqrt(float(f.var(axis=0, ddof=1).sum()) / M)


def lem55_probability(s: Mapping) -> float:
    N, k, r, w = s["N"], s["k"], s["r"], s["widths"]
    off = N**2 * math.exp(-K_("THM51_C_EXP") * min(w[: k + 1]) / (offdiag_exponent(N, r) * logprod(w, 1, k - 1)))
    return 1.0 - off - norm_terms(s, range(1, k + 1))


def lem55_bounds(s: Mapping) -> tuple[float, float]:
    """Leading order: ``λ_min ≈ min_i (‖f̃_i‖² − ⟨f̃_i, μ̂⟩²)^r`` (Gershgorin + the v5 proof's ``S_1, S_2 = o(·)``)
    with ``‖f̃_i‖² ≈ (1−ρ_k)E_k``, ``E_k = dΠn_lβ_l²/2^k``: lower ``REM·(b_lo(1−ρ_k)E_k)^r``; upper
    ``λ_min ≤ min_i B_ii^r ≤ (‖f_i‖² + ‖μ‖²)^r ≤ (2 b_hi E_k)^r`` (features are non-negative, ``‖μ‖² ≤ E_x‖f‖²``)."""
    k, r = s["k"], s["r"]
    lo, hi = band(s, k)
    E = feature_scale(s, k) / 2**k
    return K_("THM51_REMAINDER") * (lo * (1 - rho(k)) * E) ** r, (2 * hi * E) ** r


def lem55_in_regime(s: Mapping) -> bool:
    w, k = s["widths"], s["k"]
    return (_law_ok(s) and s["r"] % 2 == 0 and logprod(w, 1, k - 1) <= K_("THM51_LOGPROD_FRAC") * min(w[: k + 1])
            and lem55_probability(s) >= K_("THM51_REGIME_P"))


def _lem55_trial(s, rng) -> Outcome:
    k, r = s["k"], s["r"]
    X, Ws, fw = features(s, rng)
    mu, se = population_mean(s, Ws, k, rng)
    B = lemma54_matrix(fw.features[k], mu) ** r
    e = ntk.lambda_min(B)
    lo, hi = lem55_bounds(s)
    scale = feature_scale(s, k) ** r
    ok = lo - e.floor <= e.value <= hi + e.floor
    return Outcome(ok, implied=e.value / scale, margin=min((e.value - lo) / scale, (hi - e.value) / scale),
                   measured={"lambda_min": e.value, "lower": lo, "upper": hi, "mu_norm": float(np.linalg.norm(mu)),
                             "mu_rel_se": se / float(np.linalg.norm(mu))})


LEM_5_5 = statement(
    id="Lemma 5.5", title="Hadamard powers of centred features", paper_version="v5",
    claim="λ_min((F̃F̃ᵀ − Λ11ᵀΛ/‖μ‖²)^{∘r}) = Θ((dΠ_{l≤k} n_lβ_l²)^r) w.p. ≥ 1 − N²e^{−Ω(min n_l/(N^{2/(r/2−0.1)}Π log n_l))} − NΣe^{−Ω(n_l)}",
    kind=Kind.ASYMPTOTIC, hypotheses=lem55_in_regime, quantity="λ_min of the Lemma 5.4 matrix",
    lower=lambda s, **_: lem55_bounds(s)[0], upper=lambda s, **_: lem55_bounds(s)[1],
    probability=lambda s, **_: lem55_probability(s), section="5",
    notes="μ_k exact for k = 1 with Gaussian data, else Monte Carlo over s['mc'] fresh samples (error recorded).",
)
check("Lemma 5.5", "theta", probability=lem55_probability)(_lem55_trial)
