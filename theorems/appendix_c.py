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

Verdicts on random draws all go through the one judge: the Θ-claims' trials return ``Outcome(success=None,
measured={"quantity", "floor"})`` and :func:`theorems.harness.run_check` judges them against the statement's bounds
(or a planted variant's) with trials sized for power; the Monte Carlo mean checks return a
:class:`theorems.inference.Judgement` (:func:`mc_mean_judgement`, :func:`binomial_half_judgement`) with their
``alpha`` and the deviation of the mean they detect with probability ≥ 0.9 (distribution-free: Cantelli's
inequality for the Chernoff region, the exact binomial law for C.5), recorded through
:func:`theorems.harness.record_judgement` and so counted in the run's error budget.

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
from .inference import NOT_REFUTED, POWER, Judgement
from .sec5 import EPS, band, data_term, feature_scale, features, logprod, norm_terms, population_mean, relu_mean_k1, rho
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


def mean_test_region(T: int, n: int, S: np.ndarray, beta: float, alpha: float, *, factor: float = 1.0) -> tuple[float, float, float]:
    """``(claimed mean, lo, hi)`` for the MC mean over ``T`` draws of ``Σ_{j≤n} Y_j`` (``n`` units per draw).

    ``factor`` multiplies the claimed mean by scaling the claimed law (``β² → factor·β²``; 1 for the lemma, other
    values for planted variants such as "the ReLU's factor 1/2 dropped", ``factor = 2``)."""
    s2 = factor * beta**2 * np.linalg.svd(np.atleast_2d(S), compute_uv=False) ** 2
    lo, hi = chernoff_interval(T * n, s2, alpha)
    return n * 0.5 * float(s2.sum()), n * lo, n * hi


def mc_mean_sd(T: int, n: int, S: np.ndarray, beta: float, *, factor: float = 1.0) -> float:
    """Exact standard deviation of the MC mean of :func:`one_step_mc` under the claimed law: per summand
    ``E Y = Σs_i²/2`` and ``E Y² = ½((Σs_i²)² + 2Σs_i⁴)`` (``‖Sw‖²`` is a Gaussian quadratic form; the indicator
    halves its moments by the sign symmetry), so ``sd = √(n Var Y / T)``."""
    s2 = factor * beta**2 * np.linalg.svd(np.atleast_2d(S), compute_uv=False) ** 2
    m1, m2 = 0.5 * float(s2.sum()), 0.5 * (float(s2.sum()) ** 2 + 2 * float(np.sum(s2**2)))
    return math.sqrt(n * (m2 - m1 * m1) / T)


def mc_mean_judgement(mean_mc: float, exact: float, lo: float, hi: float, sd: float, alpha: float, *,
                      target: float = 0.25, what: str = "the one-step mean") -> Judgement:
    """Verdict of an exact-mean Monte Carlo check: refuted iff the MC mean leaves the Chernoff region ``[lo, hi]``
    (false alarm ≤ ``alpha`` under the claimed law, :func:`chernoff_interval`). Power against the alternative "the
    true law is the claimed one scaled so that its mean is ``(1 ± δ)·exact``": by Cantelli's inequality the MC mean
    is within ``3 sd`` of its mean with probability ≥ 0.9, so every ``δ ≥ max(hi/(exact − 3sd) − 1,
    1 − lo/(exact + 3sd))`` is refuted with probability ≥ 0.9 (distribution-free). "verified" needs
    ``δ ≤ target``, else "not refuted"."""
    refuted = not (lo <= mean_mc <= hi)
    k = math.sqrt(POWER / (1 - POWER))  # Cantelli: P(X − EX ≤ −k sd) ≤ 1/(1 + k²) = 1 − POWER
    up = hi / (exact - k * sd) - 1.0 if exact > k * sd else math.inf
    down = 1.0 - lo / (exact + k * sd)
    det = max(up, down)
    verdict = "refuted" if refuted else ("verified" if det <= target else NOT_REFUTED)
    power = {"alternative": f"{what} off by a factor 1 ± δ (law scaled), δ ≥ {det:.3g}; refuted with probability ≥ "
                            f"{POWER:g} (Cantelli)", "detectable": float(det), "target": float(target),
             "reached": bool(det <= target)}
    reason = (f"MC mean/exact = {mean_mc / exact:.5f}, exact Chernoff region [{lo / exact:.5f}, {hi / exact:.5f}] at "
              f"α = {alpha:.1e}; detects a relative error ≥ {det:.3g}")
    return Judgement(verdict, reason, alpha, power, {"mc_mean": mean_mc, "exact": exact, "lo": lo, "hi": hi, "sd": sd})


def binomial_half_judgement(total: int, m: int, alpha: float, *, p0: float = 0.5, target: float = 0.01) -> Judgement:
    """Exact two-sided binomial test of "``total`` ~ Binomial(``m``, ``p0``)" at ``alpha`` (C.5: ``p0 = 1/2``), with
    the exact power: the smallest shift ``δ`` of the success probability refuted with probability ≥ 0.9."""
    pv = float(min(1.0, 2 * min(stats.binom.cdf(total, m, p0), stats.binom.sf(total - 1, m, p0))))
    c_hi = int(stats.binom.isf(alpha / 2, m, p0)) + 1  # reject when X ≥ c_hi (P ≤ α/2 under p0)
    while c_hi > 1 and stats.binom.sf(c_hi - 2, m, p0) <= alpha / 2:
        c_hi -= 1
    while c_hi <= m and stats.binom.sf(c_hi - 1, m, p0) > alpha / 2:
        c_hi += 1
    lo, hi = 0.0, 1.0 - p0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if stats.binom.sf(c_hi - 1, m, p0 + mid) >= POWER else (mid, hi)
    det = hi
    verdict = "refuted" if pv <= alpha else ("verified" if det <= target else NOT_REFUTED)
    power = {"alternative": f"activation probability ≥ {p0 + det:.4g} (claimed {p0:g}); refuted with probability ≥ {POWER:g}",
             "detectable": float(det), "target": float(target), "reached": bool(det <= target)}
    reason = f"{total}/{m} active (claimed rate {p0:g}); exact two-sided binomial p = {pv:.3g}, α = {alpha:.1e}"
    return Judgement(verdict, reason, alpha, power, {"mean_rate": total / m, "p_value": pv})


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


def c1_bounds(s):
    """``(b_lo E_k, b_hi E_k)`` with ``E_k = dΠn_lβ_l²/2^k``; the bands multiply ``(1±η)`` per layer."""
    lo, hi = band(s, s["k"])
    return lo * _E(s, s["k"]), hi * _E(s, s["k"])


def c2_bounds(s):
    """``(REM·ρ_k·b_lo E_k, b_hi E_k)`` (``‖μ‖² ≈ ρ_k E‖f‖²``; upper by Jensen)."""
    lo, hi = band(s, s["k"])
    return K_("THM51_REMAINDER") * rho(s["k"]) * lo * _E(s, s["k"]), hi * _E(s, s["k"])


def c3_bounds(s):
    """``(REM(1−ρ_k) b_lo E_k, 4 b_hi E_k)`` (upper: ``‖f − μ‖² ≤ 2‖f‖² + 2‖μ‖²``)."""
    lo, hi = band(s, s["k"])
    return K_("THM51_REMAINDER") * (1 - rho(s["k"])) * lo * _E(s, s["k"]), 4 * hi * _E(s, s["k"])


def c4_bounds(s):
    """``(REM(1−ρ_k) b_lo E_k, b_hi E_k)``."""
    lo, hi = band(s, s["k"])
    return K_("THM51_REMAINDER") * (1 - rho(s["k"])) * lo * _E(s, s["k"]), hi * _E(s, s["k"])


def c6_bounds(s):
    """``(½(1−η)^{p−k} sc, (3/2)(1+η)^{p−k} sc, n_kΠ n_lβ_l²)`` with ``sc = (n_k/2)Π_{l=k+1}^{p} n_lβ_l²/2``."""
    k, p, w, b = s["k"], s["p"], s["widths"], s["betas"]
    sc = w[k] * np.prod([w[l] * b[l - 1] ** 2 / 2 for l in range(k + 1, p + 1)]) / 2
    h = K_("C1_ETA")
    return 0.5 * (1 - h) ** (p - k) * sc, 1.5 * (1 + h) ** (p - k) * sc, float(w[k] * np.prod([w[l] * b[l - 1] ** 2 for l in range(k + 1, p + 1)]))


_THETA = {"d": 1.0, "n_k": 1.0}

C_1 = statement(id="Lemma C.1", title="Norm of the feature map", paper_version="v5",
                claim="‖f_k(x)‖² = Θ(dΠ_{l≤k} n_lβ_l²); exact one-step mean E_{W_k}‖f_k‖² = (n_kβ_k²/2)‖f_{k−1}‖²",
                kind=Kind.ASYMPTOTIC, quantity="‖f_k(x)‖²", probability=lambda s, **_: c1_probability(s),
                lower=lambda s, **_: c1_bounds(s)[0], upper=lambda s, **_: c1_bounds(s)[1],
                exponents=_THETA, scale=lambda s: feature_scale(s, s["k"]), section="C")
C_2 = statement(id="Lemma C.2", title="Norm of the expected feature map", paper_version="v5",
                claim="‖E_x f_k(x)‖² = Θ(dΠ_{l≤k} n_lβ_l²) w.p. ≥ 1 − Σ e^{−Ω(n_l)}",
                kind=Kind.ASYMPTOTIC, quantity="‖E_x f_k(x)‖²", probability=lambda s, **_: _prob_weights(s, s["k"]),
                lower=lambda s, **_: c2_bounds(s)[0], upper=lambda s, **_: c2_bounds(s)[1],
                exponents=_THETA, scale=lambda s: feature_scale(s, s["k"]), section="C")
C_3 = statement(id="Lemma C.3", title="Centred feature norms", paper_version="v5",
                claim="‖f_k(x_i) − E f_k‖² = Θ(dΠ n_lβ_l²) ∀i w.p. ≥ 1 − N e^{−Ω(min n_l/Π log n_l)} − Σ e^{−Ω(n_l)}",
                kind=Kind.ASYMPTOTIC, quantity="min_i (check 'min_i') or max_i (check 'max_i') of ‖f_k(x_i) − μ_k‖²",
                probability=lambda s, **_: c3_probability(s),
                lower=lambda s, **_: c3_bounds(s)[0], upper=lambda s, **_: c3_bounds(s)[1],
                exponents=_THETA, scale=lambda s: feature_scale(s, s["k"]), section="C",
                notes="The event 'for all i' is judged as two checks on the same draws' law: min_i against both bounds "
                      "and max_i against both bounds (their conjunction is the lemma's event; each is implied by it).")
C_4 = statement(id="Lemma C.4", title="Expected centred feature norm", paper_version="v5",
                claim="E_x‖f_k − E f_k‖² = Θ(dΠ n_lβ_l²) w.p. ≥ 1 − Σ e^{−Ω(n_l)}",
                kind=Kind.ASYMPTOTIC, quantity="E_x‖f_k − μ_k‖²", probability=lambda s, **_: _prob_weights(s, s["k"]),
                lower=lambda s, **_: c4_bounds(s)[0], upper=lambda s, **_: c4_bounds(s)[1],
                exponents=_THETA, scale=lambda s: feature_scale(s, s["k"]), section="C")
C_5 = statement(id="Lemma C.5", title="Activation count", paper_version="v5",
                claim="given f_{k−1}(x) ≠ 0: E‖Σ_k‖_F² = n_k/2 and P(|‖Σ_k‖_F² − n_k/2| > n_k/4) ≤ 2e^{−n_k/8}",
                kind=Kind.EXPLICIT, quantity="‖Σ_k(x)‖_F²", probability=lambda s, **_: c5_probability(s),
                lower=lambda s, **_: s["widths"][s["k"]] / 4, upper=lambda s, **_: 3 * s["widths"][s["k"]] / 4,
                exponents={"n_k": 1.0}, scale=lambda s: s["widths"][s["k"]], section="C")
C_6 = statement(id="Lemma C.6", title="Back-propagated Frobenius norms", paper_version="v5",
                claim="‖Σ_kΠ_{l=k+1}^p W_lΣ_l‖_F² = Θ(n_kΠ n_lβ_l²); exact mean recursion E_{W_p}‖S_p‖_F² = (n_pβ_p²/2)‖S_{p−1}‖_F²",
                kind=Kind.ASYMPTOTIC, quantity="‖S_p‖_F²", probability=lambda s, **_: c6_probability(s),
                lower=lambda s, **_: c6_bounds(s)[0], upper=lambda s, **_: c6_bounds(s)[1],
                scale=lambda s: c6_bounds(s)[2], section="C")


# ----------------------------------------------------------------------------------------- trials
def _one(s, rng, k=None):
    s1 = {**s, "N": 1}
    return features(s1, rng, k)


def _floor(v: float, n: int) -> float:
    """Rounding error of a sum of ``n`` non-negative squares (plus the forward pass): ``≤ 4(n+8)eps·v``."""
    return 4.0 * (n + 8) * EPS * abs(v)


@check("Lemma C.1", "band", probability=c1_probability)
def c1_trial(s, rng) -> Outcome:
    """``‖f_k(x)‖²`` of one input, judged against :func:`c1_bounds` by the harness."""
    _, _, fw = _one(s, rng)
    v = float(np.sum(fw.features[s["k"]] ** 2))
    return Outcome(None, implied=v / feature_scale(s, s["k"]),
                   measured={"quantity": v, "floor": _floor(v, max(s["widths"])), "E_k": _E(s, s["k"])})


def _means(s, rng, N=None):
    X, Ws, fw = features(s if N is None else {**s, "N": N}, rng)
    k = s["k"]
    mu, err = population_mean(s, Ws, k, rng)
    return X, Ws, fw, mu, err


@check("Lemma C.2", "theta", probability=lambda s: _prob_weights(s, s["k"]))
def c2_trial(s, rng) -> Outcome:
    """``‖μ_k‖²`` (exact for k = 1 with Gaussian/spherical data, else Monte Carlo; its error bound recorded)."""
    _, _, _, mu, err = _means(s, rng, N=1)
    v = float(mu @ mu)
    # a Monte Carlo μ̂ with ‖μ̂ − μ‖ ≤ err moves ‖μ‖² by ≤ 2‖μ‖err + err²: recorded, not hidden in the floor
    return Outcome(None, implied=v / feature_scale(s, s["k"]),
                   measured={"quantity": v, "floor": _floor(v, max(s["widths"])), "E_k": _E(s, s["k"]),
                             "mu_error_bound": err, "quantity_error_bound": 2 * math.sqrt(v) * err + err**2})


def _c3_trial(s, rng, which: str) -> Outcome:
    _, _, fw, mu, err = _means(s, rng)
    k = s["k"]
    v = np.sum((fw.features[k] - mu) ** 2, axis=1)
    q = float(v.min() if which == "min" else v.max())
    return Outcome(None, implied=q / feature_scale(s, k),
                   measured={"quantity": q, "floor": _floor(q, max(s["widths"])), "min": float(v.min()),
                             "max": float(v.max()), "E_k": _E(s, k), "mu_error_bound": err})


check("Lemma C.3", "theta-all-i: min_i", probability=c3_probability,
      description="min_i ‖f_k(x_i) − μ_k‖² within the bounds")(lambda s, rng: _c3_trial(s, rng, "min"))
check("Lemma C.3", "theta-all-i: max_i", probability=c3_probability,
      description="max_i ‖f_k(x_i) − μ_k‖² within the bounds")(lambda s, rng: _c3_trial(s, rng, "max"))


def centred_second_moment(s, Ws, k, rng) -> tuple[float, float]:
    """``(E_x‖f_k − μ_k‖², error bound)``: exact ``(1/2 − 1/(2π))‖W_1‖_F²`` for ``k = 1`` with Gaussian data and
    ``Σ_j (E σ(⟨w_j,x⟩)² − μ_j²) = ‖W_1‖_F²/2 − ‖μ_1‖²`` on the sphere (``E⟨w,x⟩² = ‖w‖²``, symmetric law);
    otherwise the sum of per-unit sample variances over ``mc`` fresh samples (its standard error recorded)."""
    if k == 1 and s["law"]["name"] in ("gaussian", "sphere"):
        W = Ws[0]
        mu = relu_mean_k1(W, s["law"]["name"])
        return 0.5 * float(np.sum(W**2)) - float(mu @ mu), 0.0
    from generators.lookup import law_from_spec

    M = s["mc"]
    Z = law_from_spec(s["law"]).sample(M, s["widths"][0], rng)
    f = ntk.forward(Z, Ws).features[k]
    dev = np.sum((f - f.mean(axis=0)) ** 2, axis=1)
    return float(np.sum(f.var(axis=0, ddof=1))), float(dev.std(ddof=1) / math.sqrt(M))


@check("Lemma C.4", "theta", probability=lambda s: _prob_weights(s, s["k"]))
def c4_trial(s, rng) -> Outcome:
    """``E_x‖f_k − μ_k‖²`` (:func:`centred_second_moment`), judged against :func:`c4_bounds`."""
    k = s["k"]
    _, Ws, _ = features({**s, "N": 1}, rng)
    v, err = centred_second_moment(s, Ws, k, rng)
    return Outcome(None, implied=v / feature_scale(s, k),
                   measured={"quantity": v, "floor": _floor(v, max(s["widths"])), "E_k": _E(s, k), "mc_error": err})


def _draw_nonzero(s, rng, k):
    """``f_{k−1}(x)``, the weights and ``x`` conditioned on ``f_{k−1}(x) ≠ 0`` (rejection; ≤ 1000 tries)."""
    for _ in range(1000):
        X, Ws, fw = _one(s, rng, s.get("p", k))
        if np.any(fw.features[k - 1] != 0):
            return X, Ws, fw
    raise RuntimeError("f_{k-1}(x) = 0 in 1000 draws: outside the lemma's condition")


@check("Lemma C.5", "hoeffding", probability=c5_probability)
def c5_trial(s, rng) -> Outcome:
    """``‖Σ_k(x)‖_F²`` given ``f_{k−1}(x) ≠ 0`` (explicit probability ``1 − 2e^{−n_k/8}``); an integer, no floor."""
    k, n = s["k"], s["widths"][s["k"]]
    _, _, fw = _draw_nonzero(s, rng, k)
    v = float(fw.masks[k - 1].sum())
    return Outcome(None, implied=v / n, measured={"quantity": v, "floor": 0.0, "active": v})


def backprop_S(fw, Ws, k: int, p: int) -> np.ndarray:
    """``S_p = Σ_k Π_{l=k+1}^{p} W_l Σ_l`` for one input (shape ``n_k × n_p``)."""
    S = np.diag(fw.masks[k - 1][0])
    for l in range(k + 1, p + 1):
        S = (S @ Ws[l - 1]) * fw.masks[l - 1][0][None, :]
    return S


@check("Lemma C.6", "band", probability=c6_probability)
def c6_trial(s, rng) -> Outcome:
    """``½(1−η)^{p−k} ≤ ‖S_p‖_F²/(n_k/2 Π n_lβ_l²/2) ≤ (3/2)(1+η)^{p−k}`` (C.5's band, then one band per layer;
    the per-layer rate is at least C1_RATE: the MGF ``Π(1−2ts_i)^{−1/2}`` is Schur-convex in the spectrum, so
    a rank-one ``S`` (C.1's case) concentrates worst)."""
    X, Ws, fw = _draw_nonzero(s, rng, s["k"])
    v = float(np.sum(backprop_S(fw, Ws, s["k"], s["p"]) ** 2))
    return Outcome(None, implied=v / c6_bounds(s)[2], measured={"quantity": v, "floor": _floor(v, max(s["widths"]))})
