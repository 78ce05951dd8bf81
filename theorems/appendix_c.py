"""Appendix C — useful estimates: Lemmas C.1–C.6 (THEOREMS.md §3, "Appendix C lemmas").

Each lemma is its own statement. Exact one-step means (C.1: ``E_{W_k}‖f_k‖² = (n_kβ_k²/2)‖f_{k−1}‖²``; C.5:
``E‖Σ_k‖_F² = n_k/2``; C.6: ``E_{W_p}‖S_p‖_F² = (n_pβ_p²/2)‖S_{p−1}‖_F²``) are checked by Monte Carlo with an
**exact, conservative** acceptance region at the false-alarm rate ``α`` of the run, not a CLT z-test:

* C.1 and C.6: the ``m = T·n`` summands ``Y_j = ‖S w_j‖² 1{⟨f, w_j⟩ > 0}`` (C.1: ``S = f_{k−1}ᵀ``) are i.i.d. with
  the exact moment generating function ``E e^{tY} = ½ + ½ Π_i (1 − 2tβ²s_i²)^{−1/2}`` (``s_i`` the singular
  values of ``S``; ``w ↦ −w`` keeps ``‖Sw‖²`` and swaps the indicator), so the Cramér–Chernoff bound
  ``P(Ȳ ≥ a) ≤ e^{−m I(a)}`` (and below) gives an interval that contains the sample mean with probability
  ``≥ 1 − α`` under the claimed mean (:func:`chernoff_interval`).
* C.5: ``‖Σ_k‖_F²`` is exactly Binomial(``n_k``, 1/2) given ``f_{k−1}(x) ≠ 0``; the sum over ``T`` draws is
  Binomial(``T n_k``, 1/2), judged by the exact two-sided binomial test at ``α``.

Θ-claims use named constants: bands ``C1_ETA`` per layer (rate ``C1_RATE``, derived), ``ETA`` for ``‖x‖²``
(rate ``C_NORM``), ``THM51_C_EXP`` for the Lipschitz-concentration term of C.3, ``THM51_REMAINDER`` for lower
constants, and the population correlation ``ρ_k`` (theorems.sec5.rho) for the mean / centred parts. The
population mean ``μ_k = E_x f_k(x)`` is exact for ``k = 1`` with Gaussian data, else a Monte Carlo mean over
``mc`` fresh samples whose standard error is recorded.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

import ntk

from .constants import value as K_
from .harness import Outcome, check
from .sec5 import band, data_term, feature_scale, features, logprod, norm_terms, population_mean, rho
from .statement import Kind, statement


# -------------------------------------------------------------------------- exact MC acceptance regions
def _log_mgf(t: float, s2: np.ndarray) -> float:
    return math.log(0.5 + 0.5 * math.exp(-0.5 * float(np.sum(np.log1p(-2 * t * s2)))))


def _rate(a: float, s2: np.ndarray, upper: bool) -> float:
    tmax = 0.5 / float(s2.max())
    bounds = (0.0, tmax * (1 - 1e-9)) if upper else (-200 * tmax, 0.0)
    res = optimize.minimize_scalar(lambda t: -(t * a - _log_mgf(t, s2)), bounds=bounds, method="bounded",
                                   options={"xatol": 1e-12 * tmax})
    return max(0.0, -res.fun)


def chernoff_interval(m: int, s2, alpha: float) -> tuple[float, float]:
    """``[lo, hi]`` with ``P(Ȳ_m ∉ [lo, hi]) ≤ α`` for the mean of ``m`` i.i.d. ``Y`` with
    ``E e^{tY} = ½ + ½Π(1 − 2t s2_i)^{−1/2}`` (mean ``Σ s2_i/2``): each side at ``α/2`` by Cramér–Chernoff."""
    s2 = np.asarray(s2, dtype=float)
    s2 = s2[s2 > 0]
    mean = 0.5 * float(s2.sum())
    target = math.log(2 / alpha) / m
    lo_a = mean * (1 + 1e-12) + 1.0
    while _rate(lo_a, s2, True) < target:
        lo_a = mean + 2 * (lo_a - mean)
    a, b = mean, lo_a
    for _ in range(60):
        c = 0.5 * (a + b)
        a, b = (a, c) if _rate(c, s2, True) >= target else (c, b)
    hi = b
    a, b = 0.0, mean
    for _ in range(60):
        c = 0.5 * (a + b)
        a, b = (c, b) if _rate(c, s2, False) >= target else (a, c)
    return a, hi


def mean_test_region(T: int, n: int, S: np.ndarray, beta: float, alpha: float) -> tuple[float, float, float]:
    """``(claimed mean, lo, hi)`` for the MC mean over ``T`` draws of ``Σ_{j≤n} Y_j`` (``n`` units per draw)."""
    s2 = beta**2 * np.linalg.svd(np.atleast_2d(S), compute_uv=False) ** 2
    lo, hi = chernoff_interval(T * n, s2, alpha)
    return n * 0.5 * float(s2.sum()), n * lo, n * hi


def one_step_mc(S_prev: np.ndarray, f_prev: np.ndarray, n: int, beta: float, T: int, rng) -> float:
    """MC mean over ``T`` draws of ``W ∈ R^{n_{p−1}×n}`` (entries ``N(0, β²)``) of ``‖S_prev W Σ‖_F²`` with
    ``Σ = diag(1{Wᵀf_prev > 0})`` — C.1 with ``S_prev = f_{k−1}ᵀ`` (a row) and C.6."""
    W = rng.standard_normal((T, S_prev.shape[1], n)) * beta
    mask = (np.einsum("i,tij->tj", f_prev, W) > 0)
    SW = np.einsum("ai,tij->taj", S_prev, W)
    return float(np.mean(np.sum(np.sum(SW**2, axis=1) * mask, axis=1)))


def binomial_two_sided_p(k: int, m: int) -> float:
    """Exact two-sided p-value of ``k`` successes in Binomial(``m``, 1/2) (symmetric: twice the smaller tail)."""
    return float(min(1.0, 2 * min(stats.binom.cdf(k, m, 0.5), stats.binom.sf(k - 1, m, 0.5))))


# ----------------------------------------------------------------------------------------- probabilities
def _prob_weights(s, k):
    return 1.0 - norm_terms(s, range(1, k + 1)) / s["N"]


def c1_probability(s):
    """``1 − 2Σ_{l≤k} e^{−C1_RATE n_l} − 2e^{−C_NORM d}`` (one sample ``x``)."""
    return _prob_weights(s, s["k"]) - data_term(s) / s["N"]


def c3_probability(s):
    k, w = s["k"], s["widths"]
    lip = s["N"] * math.exp(-K_("THM51_C_EXP") * min(w[: k + 1]) / logprod(w, 1, k - 1))
    return _prob_weights(s, k) - lip


def c5_probability(s):
    """The explicit Hoeffding bound ``1 − 2e^{−n_k/8}``."""
    return 1.0 - 2 * math.exp(-s["widths"][s["k"]] / 8)


def c6_probability(s):
    """``1 − 2e^{−n_k/8} − 2Σ_{l=k+1}^{p} e^{−C1_RATE n_l}`` (conditioned on ``f_{k−1}(x) ≠ 0``)."""
    return c5_probability(s) - norm_terms({**s, "N": 1}, range(s["k"] + 1, s["p"] + 1))


# ------------------------------------------------------------------------------------ statements
def _E(s, k):
    return feature_scale(s, k) / 2**k


C_1 = statement(id="Lemma C.1", title="Norm of the feature map", paper_version="v5",
                claim="‖f_k(x)‖² = Θ(dΠ_{l≤k} n_lβ_l²); exact one-step mean E_{W_k}‖f_k‖² = (n_kβ_k²/2)‖f_{k−1}‖²",
                kind=Kind.ASYMPTOTIC, quantity="‖f_k(x)‖²", probability=lambda s, **_: c1_probability(s),
                lower=lambda s, **_: band(s, s["k"])[0] * _E(s, s["k"]), upper=lambda s, **_: band(s, s["k"])[1] * _E(s, s["k"]),
                section="C")
C_2 = statement(id="Lemma C.2", title="Norm of the expected feature map", paper_version="v5",
                claim="‖E_x f_k(x)‖² = Θ(dΠ_{l≤k} n_lβ_l²) w.p. ≥ 1 − Σ e^{−Ω(n_l)}",
                kind=Kind.ASYMPTOTIC, quantity="‖E_x f_k(x)‖²", probability=lambda s, **_: _prob_weights(s, s["k"]),
                section="C")
C_3 = statement(id="Lemma C.3", title="Centred feature norms", paper_version="v5",
                claim="‖f_k(x_i) − E f_k‖² = Θ(dΠ n_lβ_l²) ∀i w.p. ≥ 1 − N e^{−Ω(min n_l/Π log n_l)} − Σ e^{−Ω(n_l)}",
                kind=Kind.ASYMPTOTIC, quantity="min/max_i ‖f_k(x_i) − μ_k‖²", probability=lambda s, **_: c3_probability(s),
                section="C")
C_4 = statement(id="Lemma C.4", title="Expected centred feature norm", paper_version="v5",
                claim="E_x‖f_k − E f_k‖² = Θ(dΠ n_lβ_l²) w.p. ≥ 1 − Σ e^{−Ω(n_l)}",
                kind=Kind.ASYMPTOTIC, quantity="E_x‖f_k − μ_k‖²", probability=lambda s, **_: _prob_weights(s, s["k"]),
                section="C")
C_5 = statement(id="Lemma C.5", title="Activation count", paper_version="v5",
                claim="given f_{k−1}(x) ≠ 0: E‖Σ_k‖_F² = n_k/2 and P(|‖Σ_k‖_F² − n_k/2| > n_k/4) ≤ 2e^{−n_k/8}",
                kind=Kind.EXPLICIT, quantity="‖Σ_k(x)‖_F²", probability=lambda s, **_: c5_probability(s),
                lower=lambda s, **_: s["widths"][s["k"]] / 4, upper=lambda s, **_: 3 * s["widths"][s["k"]] / 4,
                section="C")
C_6 = statement(id="Lemma C.6", title="Back-propagated Frobenius norms", paper_version="v5",
                claim="‖Σ_kΠ_{l=k+1}^p W_lΣ_l‖_F² = Θ(n_kΠ n_lβ_l²); exact mean recursion E_{W_p}‖S_p‖_F² = (n_pβ_p²/2)‖S_{p−1}‖_F²",
                kind=Kind.ASYMPTOTIC, quantity="‖S_p‖_F²", probability=lambda s, **_: c6_probability(s), section="C")


# ----------------------------------------------------------------------------------------- trials
def _one(s, rng, k=None):
    s1 = {**s, "N": 1}
    return features(s1, rng, k)


@check("Lemma C.1", "band", probability=c1_probability)
def c1_trial(s, rng) -> Outcome:
    """``b_lo E_k ≤ ‖f_k(x)‖² ≤ b_hi E_k`` with ``E_k = dΠn_lβ_l²/2^k``; the bands multiply ``(1±η)`` per layer."""
    _, _, fw = _one(s, rng)
    v = float(np.sum(fw.features[s["k"]] ** 2))
    E = _E(s, s["k"])
    lo, hi = band(s, s["k"])
    return Outcome(lo * E <= v <= hi * E, implied=v / feature_scale(s, s["k"]), margin=min(v / E - lo, hi - v / E),
                   measured={"norm_sq": v, "E_k": E})


def _means(s, rng, N=None):
    X, Ws, fw = features(s if N is None else {**s, "N": N}, rng)
    k = s["k"]
    mu, se = population_mean(s, Ws, k, rng)
    return X, Ws, fw, mu, se


@check("Lemma C.2", "theta", probability=lambda s: _prob_weights(s, s["k"]))
def c2_trial(s, rng) -> Outcome:
    """``REM·ρ_k·b_lo E_k ≤ ‖μ_k‖² ≤ b_hi E_k`` (``‖μ‖² ≈ ρ_k E‖f‖²``; upper by Jensen)."""
    _, _, _, mu, se = _means(s, rng, N=1)
    v, E, k = float(mu @ mu), _E(s, s["k"]), s["k"]
    lo, hi = band(s, k)
    lo = K_("THM51_REMAINDER") * rho(k) * lo
    return Outcome(lo * E <= v <= hi * E, implied=v / feature_scale(s, k), margin=min(v / E - lo, hi - v / E),
                   measured={"mu_norm_sq": v, "E_k": E, "mu_se": se})


@check("Lemma C.3", "theta-all-i", probability=c3_probability)
def c3_trial(s, rng) -> Outcome:
    """``REM(1−ρ_k) b_lo E_k ≤ ‖f_k(x_i) − μ_k‖² ≤ 4 b_hi E_k`` for all ``i`` (upper: ``≤ 2‖f‖² + 2‖μ‖²``)."""
    _, _, fw, mu, se = _means(s, rng)
    k = s["k"]
    v = np.sum((fw.features[k] - mu) ** 2, axis=1)
    E = _E(s, k)
    lo, hi = band(s, k)
    lo, hi = K_("THM51_REMAINDER") * (1 - rho(k)) * lo, 4 * hi
    return Outcome(bool(lo * E <= v.min() and v.max() <= hi * E), implied=float(v.min()) / feature_scale(s, k),
                   margin=min(v.min() / E - lo, hi - v.max() / E), measured={"min": float(v.min()), "max": float(v.max()), "E_k": E})


@check("Lemma C.4", "theta", probability=lambda s: _prob_weights(s, s["k"]))
def c4_trial(s, rng) -> Outcome:
    """``REM(1−ρ_k) b_lo E_k ≤ E_x‖f_k − μ_k‖² ≤ b_hi E_k``; for ``k = 1`` Gaussian data exactly
    ``(1/2 − 1/(2π))‖W_1‖_F²``, else ``E_x‖f‖² − ‖μ‖²`` over ``mc`` fresh samples."""
    k = s["k"]
    _, Ws, _ = features({**s, "N": 1}, rng)
    if k == 1 and s["law"]["name"] == "gaussian":
        v = (0.5 - 0.5 / math.pi) * float(np.sum(Ws[0] ** 2))
    else:
        from generators.lookup import law_from_spec
        Z = law_from_spec(s["law"]).sample(s["mc"], s["widths"][0], rng)
        f = ntk.forward(Z, Ws).features[k]
        v = float(np.sum(f.var(axis=0)))
    E = _E(s, k)
    lo, hi = band(s, k)
    lo = K_("THM51_REMAINDER") * (1 - rho(k)) * lo
    return Outcome(lo * E <= v <= hi * E, implied=v / feature_scale(s, k), margin=min(v / E - lo, hi - v / E),
                   measured={"centred_sq": v, "E_k": E})


def _draw_nonzero(s, rng, k):
    """``f_{k−1}(x)``, the weights and ``x`` conditioned on ``f_{k−1}(x) ≠ 0`` (rejection; ≤ 1000 tries)."""
    for _ in range(1000):
        X, Ws, fw = _one(s, rng, s.get("p", k))
        if np.any(fw.features[k - 1] != 0):
            return X, Ws, fw
    raise RuntimeError("f_{k-1}(x) = 0 in 1000 draws: outside the lemma's condition")


@check("Lemma C.5", "hoeffding", probability=c5_probability)
def c5_trial(s, rng) -> Outcome:
    """``|‖Σ_k(x)‖_F² − n_k/2| ≤ n_k/4`` given ``f_{k−1}(x) ≠ 0`` (explicit probability ``1 − 2e^{−n_k/8}``)."""
    k, n = s["k"], s["widths"][s["k"]]
    _, _, fw = _draw_nonzero(s, rng, k)
    v = float(fw.masks[k - 1].sum())
    return Outcome(abs(v - n / 2) <= n / 4, implied=v / n, margin=(n / 4 - abs(v - n / 2)) / n, measured={"active": v})


def backprop_S(fw, Ws, k: int, p: int) -> np.ndarray:
    """``S_p = Σ_k Π_{l=k+1}^{p} W_l Σ_l`` for one input (shape ``n_k × n_p``)."""
    S = np.diag(fw.masks[k - 1][0])
    for l in range(k + 1, p + 1):
        S = (S @ Ws[l - 1]) * fw.masks[l - 1][0][None, :]
    return S


def c6_bounds(s):
    k, p, w, b = s["k"], s["p"], s["widths"], s["betas"]
    sc = w[k] * np.prod([w[l] * b[l - 1] ** 2 / 2 for l in range(k + 1, p + 1)]) / 2
    h = K_("C1_ETA")
    return 0.5 * (1 - h) ** (p - k) * sc, 1.5 * (1 + h) ** (p - k) * sc, float(w[k] * np.prod([w[l] * b[l - 1] ** 2 for l in range(k + 1, p + 1)]))


@check("Lemma C.6", "band", probability=c6_probability)
def c6_trial(s, rng) -> Outcome:
    """``½(1−η)^{p−k} ≤ ‖S_p‖_F²/(n_k/2 Π n_lβ_l²/2) ≤ (3/2)(1+η)^{p−k}`` (C.5's band, then one band per layer;
    the per-layer rate is at least C1_RATE: the MGF ``Π(1−2ts_i)^{−1/2}`` is Schur-convex in the spectrum, so
    a rank-one ``S`` (C.1's case) concentrates worst)."""
    X, Ws, fw = _draw_nonzero(s, rng, s["k"])
    v = float(np.sum(backprop_S(fw, Ws, s["k"], s["p"]) ** 2))
    lo, hi, scale = c6_bounds(s)
    return Outcome(lo <= v <= hi, implied=v / scale, margin=min(v / lo - 1, 1 - v / hi), measured={"frob_sq": v})
