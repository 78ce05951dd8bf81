"""The one judge of every assertion that depends on random draws (issue 8; DESIGN.md "Verdicts").

Every verdict the suite gives on random data comes from a function of this module, at the per-assertion
false-alarm rate ``alpha`` of the run's budget (``conftest.MAX_ASSERTIONS``), with a test whose error
rate is exact or conservative at that ``alpha``, and with the *power* it had, stated before or with the
verdict:

* **Binomial claims** ("the event holds with probability ≥ p"): :func:`plan_trials` sizes the number of
  trials *before sampling* so that the exact one-sided binomial test refutes a true failure rate of
  ``F·(1−p)`` with probability ≥ ``POWER`` (0.9); :func:`judge_binomial` says "refuted" (exact test),
  "verified" (not refuted, and that power was reached) or "not refuted" (power short: the record says
  which failure rate it could have detected).
* **Slopes** (scaling laws in log-log coordinates, affine growth, drift of an implied constant along a
  regime path): :func:`slope_interval` — the Theil–Sen estimate with the exact distribution-free
  interval of Sen (1968), obtained by inverting Kendall's test; the null distribution of the number of
  concordant pairs is computed *exactly* (a q-multinomial coefficient, big-integer arithmetic), so the
  coverage is ≥ ``1 − alpha`` whenever the residuals ``y − b·x`` are exchangeable across the points
  (i.i.d. draws at every level with a noise law that does not change along ``x``). That is the model
  assumption of every slope verdict here; it is stated in each record.
* **Spreads** (the implied constant of a Θ-statement stays within a factor across the regime):
  :func:`median_interval` — exact order-statistic intervals for each group's median (binomial, no
  distributional assumption), combined by Bonferroni.

Nothing here knows about pytest; the functions are pure. ``tests/helpers.py`` turns their judgements into
records and assertions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import stats as _st

__all__ = [
    "POWER",
    "POWER_FACTOR",
    "NOT_REFUTED",
    "AffineFit",
    "BinomialPlan",
    "Judgement",
    "SlopeFit",
    "detectable_failure_rate",
    "fit_affine",
    "fit_loglog",
    "judge_binomial",
    "judge_path",
    "judge_scaling",
    "judge_affine",
    "judge_spread",
    "kendall_null_cdf",
    "median_interval",
    "plan_trials",
    "quantile_bound",
    "slope_interval",
]

#: Power a binomial check must reach against its alternative before it may say "verified".
POWER = 0.9
#: Default alternative of a binomial check: a true failure rate ``POWER_FACTOR`` times the claimed one.
POWER_FACTOR = 10.0
#: The verdict of a check that was not refuted but lacked the power it planned for.
NOT_REFUTED = "not refuted"


# ============================================================================ binomial claims
def _refute_threshold(m: int, q0: float, alpha: float) -> int | None:
    """Smallest failure count ``c`` with ``P(Bin(m, q0) ≥ c) ≤ alpha`` (the exact test refutes "failure
    rate ≤ q0" iff failures ≥ c); ``None`` if no count up to ``m`` is that rare."""
    if q0 <= 0.0:
        return 1
    # P(X >= c) = sf(c - 1)
    c = int(_st.binom.isf(alpha, m, q0)) + 1
    c = max(c - 2, 0)
    while c <= m and _st.binom.sf(c - 1, m, q0) > alpha:
        c += 1
    return c if c <= m else None


def _refute_probability(m: int, q0: float, q1: float, alpha: float) -> float:
    """Probability that ``m`` trials refute "failure rate ≤ q0" when the true failure rate is ``q1``."""
    c = _refute_threshold(m, q0, alpha)
    if c is None:
        return 0.0
    return float(_st.binom.sf(c - 1, m, min(q1, 1.0)))


def detectable_failure_rate(m: int, p: float, alpha: float, power: float = POWER) -> float:
    """The smallest true failure rate that ``m`` trials refute with probability ≥ ``power`` when the claim
    is "holds with probability ≥ p" (exact binomial test at ``alpha``); ``1.0`` if none can be."""
    q0 = 1.0 - p
    if m <= 0:
        return 1.0
    c = _refute_threshold(m, q0, alpha)
    if c is None:
        return 1.0
    # P(Bin(m, q) >= c) is increasing in q: bisect on q
    if _st.binom.sf(c - 1, m, 1.0 - 1e-15) < power:
        return 1.0
    lo, hi = q0, 1.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if _st.binom.sf(c - 1, m, mid) >= power:
            hi = mid
        else:
            lo = mid
    return float(hi)


@dataclass(frozen=True)
class BinomialPlan:
    """Trial count chosen before sampling, and the power it buys."""

    trials: int
    target: float  # the failure rate the check wants to detect: F·(1 − p)
    detectable: float  # the failure rate these trials detect with probability ≥ POWER
    reached: bool
    factor: float
    power: float = POWER

    def as_power(self) -> dict:
        return {
            "alternative": f"true failure rate ≥ {self.detectable:.3g} (claimed ≤ {self.target / self.factor:.3g}); "
                           f"refuted with probability ≥ {self.power:g}",
            "detectable": float(self.detectable),
            "target": float(self.target),
            "factor": float(self.factor),
            "reached": bool(self.reached),
            "trials": int(self.trials),
        }


def plan_trials(p: float, alpha: float, *, factor: float = POWER_FACTOR, power: float = POWER,
                max_trials: int = 20_000, min_trials: int = 1) -> BinomialPlan:
    """Smallest ``m ≤ max_trials`` whose exact test at ``alpha`` refutes a failure rate ``factor·(1 − p)``
    with probability ≥ ``power``; ``max_trials`` (power short, ``reached=False``) when none is.

    ``p`` is the stated probability (``≤ 0``: vacuous, 0 trials). The refutation probability is not
    monotone in ``m`` (binomial sawtooth), so the search checks every ``m`` in doubling windows.
    """
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"alpha must lie in (0, 1), got alpha={alpha!r}")
    if factor <= 1.0:
        raise ValueError(f"factor must be > 1, got factor={factor!r}")
    if max_trials < 1:
        raise ValueError(f"max_trials must be >= 1, got max_trials={max_trials!r}")
    if p <= 0.0:
        return BinomialPlan(0, 1.0, 1.0, False, factor, power)
    q0 = 1.0 - p
    target = min(1.0, factor * q0)
    if q0 <= 0.0 or _refute_probability(int(max_trials), q0, target, alpha) < power:
        # even the largest affordable m lacks the power (p = 1 has no failure rate F·(1 − p) > 0 to detect)
        m = int(max_trials)
        det = detectable_failure_rate(m, p, alpha, power)
        return BinomialPlan(m, target, det, False, factor, power)
    lo = max(1, int(min_trials))
    while lo <= max_trials:
        hi = min(2 * lo, max_trials + 1)
        for m in range(lo, hi):
            if q0 > 0 and _refute_probability(m, q0, target, alpha) >= power:
                return BinomialPlan(m, target, detectable_failure_rate(m, p, alpha, power), True, factor, power)
        lo = hi
    m = int(max_trials)
    det = detectable_failure_rate(m, p, alpha, power)
    return BinomialPlan(m, target, det, det <= target, factor, power)


@dataclass(frozen=True)
class Judgement:
    """A verdict with its evidence and power (the shape every judge below returns)."""

    verdict: str  # "verified" | "refuted" | "not refuted" | "inconclusive"
    reason: str
    alpha: float
    power: dict
    measured: dict = field(default_factory=dict)


def judge_binomial(successes: int, trials: int, p: float, alpha: float, plan: BinomialPlan) -> Judgement:
    """Exact one-sided binomial test of "probability ≥ p" with the power of ``plan``.

    Refuted iff ``P(Bin(m, p) ≤ k) ≤ alpha`` (exact; false-alarm rate ≤ alpha for every true rate ≥ p).
    Verified iff not refuted and the plan reached its power; otherwise "not refuted".
    """
    from .stats import binomial_p_value, cp_upper

    k, m = int(successes), int(trials)
    if p <= 0.0:
        return Judgement(NOT_REFUTED, f"vacuous: stated probability ≤ 0 (p={p:.6g}); nothing can be detected", alpha,
                         {**plan.as_power(), "alternative": "none: the claim is vacuous at this size"})
    pv = binomial_p_value(k, m, p)
    fail_hi = 1.0 - (k / m if m else 0.0)
    if m:
        fail_hi = 1.0 - (1.0 - cp_upper(m - k, m, alpha)) if k < m else 1.0 - alpha ** (1.0 / m)
    if pv <= alpha:
        return Judgement("refuted", f"{k}/{m} successes; exact one-sided binomial p-value {pv:.3g} ≤ α={alpha:.3g} "
                                    f"for H0: p ≥ {p:.12g}", alpha, plan.as_power(), {"p_value": pv})
    tail = (f"{k}/{m} successes, not refuted (p-value {pv:.3g} > α={alpha:.3g}); failure rate ≤ {fail_hi:.3g} at "
            f"confidence 1−α")
    if plan.reached:
        return Judgement("verified", f"{tail}; power {plan.power:g} against a failure rate {plan.factor:g}×(1−p) = "
                                     f"{plan.target:.3g}", alpha, plan.as_power(), {"p_value": pv})
    return Judgement(NOT_REFUTED, f"{tail}; power short: detects a failure rate ≥ {plan.detectable:.3g} only, wanted "
                                  f"{plan.target:.3g} (= {plan.factor:g}×(1−p))", alpha, plan.as_power(), {"p_value": pv})


# ============================================================================ slopes
@lru_cache(maxsize=256)
def _concordance_distribution(groups: tuple[int, ...]) -> tuple[int, ...]:
    """Exact counts of permutations by number of concordant cross-group pairs (q-multinomial coefficient
    ``[n; n_1, …, n_k]_q``), as Python integers; index = number of concordant pairs."""
    T = sum(groups[i] * groups[j] for i in range(len(groups)) for j in range(i + 1, len(groups)))
    poly = np.zeros(T + 1, dtype=object)
    poly[0] = 1
    a = 0
    for g in groups:
        # multiply by the Gaussian binomial [a+g choose g]_q = Π_{i=1}^{g} (1 − q^{a+i}) / (1 − q^i)
        for i in range(1, g + 1):
            j = a + i
            new = poly.copy()
            new[j:] = poly[j:] - poly[:-j] if j <= T else poly[j:]
            poly = new
            # divide by (1 − q^i): c[t] = p[t] + c[t − i]
            out = poly.copy()
            for start in range(i, T + 1, i):
                stop = min(start + i, T + 1)
                out[start:stop] = poly[start:stop] + out[start - i:stop - i]
            poly = out
        a += g
    return tuple(int(v) for v in poly)


def kendall_null_cdf(groups: tuple[int, ...]) -> np.ndarray:
    """``P(C ≤ c)`` for ``c = 0..T`` under exchangeability, ``C`` = concordant pairs between points with
    different ``x`` (groups = the numbers of points sharing each distinct ``x``). Exact."""
    counts = _concordance_distribution(tuple(int(g) for g in groups))
    total = sum(counts)
    cum, out = 0, np.empty(len(counts))
    for i, c in enumerate(counts):
        cum += c
        out[i] = cum / total
    return out


@dataclass(frozen=True)
class SlopeFit:
    """Theil–Sen slope with Sen's exact distribution-free interval (two-sided, level ``1 − alpha``)."""

    slope: float
    intercept: float
    low: float
    high: float
    alpha: float
    n: int
    levels: int

    def as_dict(self) -> dict:
        return {"slope": self.slope, "intercept": self.intercept, "slope_low": self.low, "slope_high": self.high,
                "alpha": self.alpha, "n": self.n, "levels": self.levels}


def _points(x, y, *, log: bool) -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.ndim != 1:
        raise ValueError(f"x must be one-dimensional (the levels), got shape {xa.shape}")
    if ya.ndim == 1:
        ya = ya[:, None]
    if ya.ndim != 2 or ya.shape[0] != xa.size:
        raise ValueError(f"y must have shape (levels, trials) = ({xa.size}, m), got {ya.shape}")
    if not np.all(np.isfinite(xa)) or not np.all(np.isfinite(ya)):
        raise ValueError(f"x and y must be finite; got x={xa.tolist()} and non-finite y values "
                         f"{ya[~np.isfinite(ya)][:5].tolist()}")
    if np.unique(xa).size < 2:
        raise ValueError(f"x needs at least two distinct levels, got {xa.tolist()}")
    if log:
        if np.any(xa <= 0) or np.any(ya <= 0):
            raise ValueError(f"log-log fit needs positive x and y; got x={xa.tolist()}, min y={float(ya.min())!r}")
        xa, ya = np.log(xa), np.log(ya)
    X = np.repeat(xa, ya.shape[1])
    return X, ya.ravel()


def slope_interval(x, y, alpha: float, *, log: bool = False) -> SlopeFit:
    """Theil–Sen slope of ``y`` on ``x`` and Sen's exact interval at two-sided level ``1 − alpha``.

    ``x``: the levels (k,); ``y``: (k, m) per-trial values (or (k,) one per level). With ``log=True`` the
    fit is of ``log y`` on ``log x`` (a power law). Coverage ≥ ``1 − alpha`` when the residuals are
    exchangeable (module docstring). The interval is ``(−∞, ∞)`` when there are too few points to reach
    ``alpha`` at all — never a narrower, unjustified one.
    """
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"alpha must lie in (0, 1), got alpha={alpha!r}")
    X, Y = _points(x, y, log=log)
    i, j = np.triu_indices(X.size, 1)
    dx = X[j] - X[i]
    keep = dx != 0
    s = (Y[j] - Y[i])[keep] / dx[keep]
    s.sort()
    T = s.size
    slope = float(np.median(s))
    intercept = float(np.median(Y - slope * X))
    _, counts = np.unique(X, return_counts=True)
    cdf = kendall_null_cdf(tuple(counts.tolist()))
    ok = np.flatnonzero(cdf <= alpha / 2.0)
    if ok.size == 0:
        lo, hi = -math.inf, math.inf
    else:
        c = int(ok[-1])  # largest c with P(C ≤ c) ≤ alpha/2; reject when C ≤ c or C ≥ T − c
        lo, hi = float(s[c]), float(s[T - c - 1])  # [s_(c+1), s_(T−c)] (1-indexed)
    return SlopeFit(slope, intercept, lo, hi, float(alpha), int(X.size), int(counts.size))


def fit_loglog(x, y, alpha: float) -> SlopeFit:
    """Power-law exponent of ``y ∝ x^b`` (Theil–Sen in log-log) with its exact interval."""
    return slope_interval(x, y, alpha, log=True)


@dataclass(frozen=True)
class AffineFit:
    """``y ≈ intercept + slope·x`` with Sen's exact interval for the slope."""

    slope: float
    intercept: float
    slope_low: float
    slope_high: float
    n: int
    alpha: float

    def as_dict(self) -> dict:
        return {"slope": self.slope, "intercept": self.intercept, "slope_low": self.slope_low,
                "slope_high": self.slope_high, "n": self.n, "alpha": self.alpha}


def fit_affine(x, y, alpha: float) -> AffineFit:
    """Affine growth ``y ≈ a + b x`` (Theil–Sen) with the exact two-sided interval for ``b``."""
    f = slope_interval(x, y, alpha)
    return AffineFit(f.slope, f.intercept, f.low, f.high, f.n, f.alpha)


_MODEL = ("Sen's exact interval (Kendall), valid when the residuals are exchangeable across the points "
          "(i.i.d. trials, noise law unchanged along x)")


def judge_scaling(x, y, *, exponent: float, window: float, alpha: float) -> Judgement:
    """Scaling law ``y ∝ x^exponent``: refuted iff the exponent's interval misses ``[e − w, e + w]``,
    verified iff it lies inside, inconclusive otherwise."""
    f = fit_loglog(x, y, alpha)
    lo_w, hi_w = exponent - window, exponent + window
    half = 0.5 * (f.high - f.low)
    if f.high < lo_w or f.low > hi_w:
        verdict = "refuted"
    elif lo_w <= f.low and f.high <= hi_w:
        verdict = "verified"
    else:
        verdict = "inconclusive"
    # an interval inside the window excludes (at 1 − alpha) every exponent outside it: that is the power a
    # "verified" needs; a true exponent deviating by more than window + width would be refuted
    power = {"alternative": f"exponent outside [{lo_w:g}, {hi_w:g}]; a deviation beyond window + width is refuted",
             "detectable": float(window + 2 * half) if math.isfinite(half) else 1e300, "target": float(window),
             "reached": verdict == "verified", "model": _MODEL}
    reason = (f"exponent {f.slope:.4f}, exact {1 - alpha:.3g}-interval [{f.low:.4f}, {f.high:.4f}] "
              f"({f.n} points, {f.levels} levels); claimed {exponent:g} ± {window:g}")
    return Judgement(verdict, reason, alpha, power, {"exponent": f.slope, "ci_low": f.low, "ci_high": f.high, **f.as_dict()})


def judge_affine(x, y, *, alpha: float) -> Judgement:
    """Affine growth with a positive slope: refuted iff the slope's upper bound ≤ 0, verified iff its
    lower bound > 0, inconclusive otherwise."""
    f = fit_affine(x, y, alpha)
    if f.slope_high <= 0:
        verdict = "refuted"
    elif f.slope_low > 0:
        verdict = "verified"
    else:
        verdict = "inconclusive"
    width = f.slope_high - f.slope_low
    power = {"alternative": "slope ≤ 0 (no growth): a slope interval of this width around 0 is refuted",
             "detectable": float(width) if math.isfinite(width) else 1e300,
             "target": float(abs(f.slope)), "reached": verdict == "verified", "model": _MODEL}
    reason = (f"y ≈ {f.intercept:.4g} + {f.slope:.4g}·x; exact {1 - alpha:.3g}-interval for the slope "
              f"[{f.slope_low:.4g}, {f.slope_high:.4g}] ({f.n} points)")
    return Judgement(verdict, reason, alpha, power, f.as_dict())


def judge_path(x, implied, *, side: str, alpha: float, window: float) -> Judgement:
    """An Ω (``side="lower"``) or O (``side="upper"``) claim along a regime path: the implied constant
    must not decay (grow) as the sizes ``x`` grow.

    A finite path cannot tell a constant that converges (from above or below) from one that drifts
    slowly, so the judge calls a drift a decay only when it is at least polynomial with exponent
    ``window`` (the same ``SCALING_EXPONENT_WINDOW`` the scaling laws use): refuted iff the exact
    log-slope interval lies entirely below ``−window`` (above ``+window``); verified iff it excludes such
    a drift (lies entirely above ``−window``, resp. below ``+window``); "not refuted" otherwise."""
    if side not in ("lower", "upper"):
        raise ValueError(f"side must be 'lower' or 'upper', got {side!r}")
    if not window > 0:
        raise ValueError(f"window must be > 0, got {window!r}")
    f = fit_loglog(x, implied, alpha)
    if side == "lower":
        refuted, excluded, word = f.high < -window, f.low > -window, "decays"
    else:
        refuted, excluded, word = f.low > window, f.high < window, "grows"
    verdict = "refuted" if refuted else ("verified" if excluded else NOT_REFUTED)
    width = f.high - f.low
    detectable = window + width  # a drift of this exponent puts the whole interval past the window
    power = {"alternative": f"the implied constant {word} like size^(∓b), b ≥ {detectable:.3g}",
             "detectable": float(detectable) if math.isfinite(detectable) else 1e300, "target": float(window),
             "reached": bool(excluded), "model": _MODEL}
    reason = (f"log-slope of the implied constant {f.slope:.4f}, exact {1 - alpha:.3g}-interval "
              f"[{f.low:.4f}, {f.high:.4f}] ({f.n} points); a drift beyond ∓{window:g} is "
              + ("shown: it " + word if refuted else ("excluded" if excluded else "neither shown nor excluded")))
    return Judgement(verdict, reason, alpha, power, {"exponent": f.slope, "ci_low": f.low, "ci_high": f.high, **f.as_dict()})


# ============================================================================ spreads
def quantile_bound(values, q: float, alpha: float, side: str) -> float:
    """Exact one-sided confidence bound (coverage ≥ 1 − alpha, any continuous law) for the ``q``-quantile:
    ``side="lower"`` gives the largest order statistic ``v_(j)`` with ``P(Bin(n, q) ≥ j) ≥ 1 − alpha``
    (``−∞`` when none), ``side="upper"`` the mirror image. The sharpest constant the data support: an Ω
    constant must stay below the lower bound of a small quantile of the implied constants."""
    v = np.sort(np.asarray(values, dtype=float).ravel())
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise ValueError(f"values must be non-empty and finite, got {v[:5].tolist()}")
    if not (0.0 < q < 1.0) or not (0.0 < alpha < 1.0):
        raise ValueError(f"q and alpha must lie in (0, 1), got q={q!r}, alpha={alpha!r}")
    if side not in ("lower", "upper"):
        raise ValueError(f"side must be 'lower' or 'upper', got {side!r}")
    n = v.size
    if side == "upper":
        return -quantile_bound(-v, 1.0 - q, alpha, "lower")
    j = np.arange(1, n + 1)
    ok = _st.binom.sf(j - 1, n, q) >= 1.0 - alpha  # P(Bin(n, q) ≥ j) = P(v_(j) ≤ ξ_q)
    return float(v[j[ok][-1] - 1]) if ok.any() else -math.inf


def median_interval(values, alpha: float) -> tuple[float, float]:
    """Exact two-sided order-statistic interval for the median (coverage ≥ 1 − alpha, any continuous
    law): ``[v_(j), v_(n+1−j)]`` with the largest ``j`` such that ``2·P(Bin(n, 1/2) ≤ j − 1) ≤ alpha``;
    ``(−∞, ∞)`` when ``n`` is too small for ``alpha``."""
    v = np.sort(np.asarray(values, dtype=float).ravel())
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise ValueError(f"values must be non-empty and finite, got {v[:5].tolist()}")
    n = v.size
    j = 0
    while j + 1 <= n // 2 and 2.0 * _st.binom.cdf(j, n, 0.5) <= alpha:
        j += 1
    if j == 0:
        return -math.inf, math.inf
    return float(v[j - 1]), float(v[n - j])


def judge_spread(groups, *, limit: float, alpha: float) -> Judgement:
    """The medians of the groups' implied constants stay within a factor ``limit`` of each other.

    Each group's median gets an exact interval at ``alpha / len(groups)`` (Bonferroni); refuted iff
    ``max(lower)/min(upper) > limit`` (even the most favourable medians are too far apart), verified iff
    ``max(upper)/min(lower) ≤ limit``, inconclusive otherwise."""
    if limit <= 1:
        raise ValueError(f"limit must be > 1, got {limit!r}")
    groups = [np.asarray(g, dtype=float).ravel() for g in groups]
    if len(groups) < 2:
        raise ValueError(f"need at least two groups, got {len(groups)}")
    if any(np.any(g <= 0) for g in groups):
        raise ValueError("implied constants must be positive for a ratio spread")
    ivs = [median_interval(g, alpha / len(groups)) for g in groups]
    lows = np.array([a for a, _ in ivs])
    highs = np.array([b for _, b in ivs])
    med = np.array([float(np.median(g)) for g in groups])
    inner = float(lows.max() / highs.min()) if np.all(np.isfinite(highs)) else 0.0
    outer = float(highs.max() / lows.min()) if np.all(np.isfinite(highs)) and lows.min() > 0 else math.inf
    point = float(med.max() / med.min())
    if inner > limit:
        verdict = "refuted"
    elif outer <= limit:
        verdict = "verified"
    else:
        verdict = "inconclusive"
    power = {"alternative": f"medians more than ×{limit:g} apart by more than the intervals' width",
             "detectable": float(outer / point * limit) if math.isfinite(outer) else 1e300, "target": float(limit),
             "reached": bool(outer <= limit)}
    reason = (f"median implied constants span ×{point:.3g} (exact bounds: at least ×{inner:.3g}, at most ×{outer:.3g}); "
              f"limit ×{limit:g}")
    return Judgement(verdict, reason, alpha, power,
                     {"max_over_min": point, "spread_low": inner, "spread_high": outer, "medians": med.tolist()})
