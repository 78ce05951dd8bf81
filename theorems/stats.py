"""Statistical verdict machinery for the probabilistic statements (THEOREMS.md §4).

Every function here is pure (numpy/scipy only) and says what is exact and what is approximate.

The central question for an *explicit-probability* or *asymptotic* statement is: the paper claims an
event holds with probability at least ``p_stated``; we ran ``m`` independent Monte Carlo trials and the
event held in ``k`` of them.  What may we conclude?

* **Refuted** -- the exact one-sided binomial test rejects ``H0: p_true >= p_stated``:
  ``P(Bin(m, p_stated) <= k) <= alpha``.  Because the test is exact (no normal approximation), when the
  claim is true the probability of a refutation is at most ``alpha`` -- for every ``m`` and every
  ``p_true >= p_stated`` (the binomial CDF is decreasing in ``p``).  ``alpha`` is therefore the
  false-alarm probability of one assertion; :class:`FalseAlarmBudget` splits a run's total budget.
* **Verified** -- not refuted, and the data rule out violations larger than ``tolerance``: the exact
  one-sided binomial test rejects ``p_true <= p_stated - tolerance`` at level ``alpha``, i.e.
  ``P(Bin(m, p_stated - tolerance) >= k) <= alpha``.  This is equivalent to the one-sided
  Clopper--Pearson lower confidence bound at level ``alpha`` being ``>= p_stated - tolerance``.
* **Inconclusive** -- neither: too few trials to decide.  Never reported as verified.

A *vacuous* claim (``p_stated <= 0``, e.g. an asymptotic probability bound whose subtracted terms exceed
one at this size) cannot be refuted and is verified trivially; its reason says so explicitly so that a
report never presents it as evidence.

Floating-point note: ``p_stated`` is a float.  A claim ``1 - q`` with ``q`` below about ``1e-16`` rounds
to ``1.0``; then any single failure refutes it.  The false-alarm probability of that rounding is at most
``m * q``, i.e. negligible.  Binomial tails are evaluated by scipy's regularized incomplete beta function,
which is accurate for ``p_stated`` within ``1e-12`` of one (the complement ``1 - p`` of a float near one
is computed exactly).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np
from scipy import stats as _st

__all__ = [
    "CLAIM_VERDICTS",
    "CONTROL_VERDICTS",
    "overall_verdict",
    "Verdict",
    "BinomialJudgement",
    "FalseAlarmBudget",
    "PowerLawFit",
    "clopper_pearson",
    "cp_lower",
    "cp_upper",
    "binomial_p_value",
    "judge",
    "trials_needed",
    "fit_power_law",
    "summarize_implied_constants",
]


class Verdict(str, enum.Enum):
    """Three-valued verdict of a check (DESIGN.md "Verdicts are three-valued")."""

    VERIFIED = "verified"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"
    NOT_REFUTED = "not refuted"  # not refuted by a test that lacked the power it planned for

    def __str__(self) -> str:  # so that f"{verdict}" prints "verified", not "Verdict.VERIFIED"
        return self.value


#: Verdicts of claims, most to least severe; a run's overall verdict is the most severe one present.
CLAIM_VERDICTS = ("refuted", "inconclusive", "not refuted", "verified")
#: Verdicts of negative controls: "detected" (the control could fail and did not), "not detected", and
#: "reported" (an observation that asserts nothing; listed apart, never counted as detected).
CONTROL_VERDICTS = ("detected", "not detected", "reported")


def overall_verdict(verdicts: Iterable[str]) -> str:
    """The most severe claim verdict present (``CLAIM_VERDICTS`` order); ``"none"`` for no verdict."""
    v = set(verdicts)
    for name in CLAIM_VERDICTS:
        if name in v:
            return name
    return "none"


# --------------------------------------------------------------------------------------------------
# validation helpers


def _check_counts(successes, trials) -> tuple[int, int]:
    for name, v in (("successes", successes), ("trials", trials)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {v!r} ({type(v).__name__})")
    k, m = int(successes), int(trials)
    if m < 0:
        raise ValueError(f"trials must be >= 0, got trials={m}")
    if not 0 <= k <= m:
        raise ValueError(f"successes must lie in [0, trials], got successes={k}, trials={m}")
    return k, m


def _check_alpha(alpha) -> float:
    a = float(alpha)
    if not (0.0 < a < 1.0):
        raise ValueError(f"alpha must lie in (0, 1), got alpha={alpha!r}")
    return a


def _check_probability(p_stated) -> float:
    p = float(p_stated)
    if math.isnan(p) or p > 1.0:
        raise ValueError(f"p_stated must be a number <= 1 (<= 0 means vacuous), got p_stated={p_stated!r}")
    return p


def _check_tolerance(tolerance) -> float:
    t = float(tolerance)
    if not (0.0 <= t < 1.0):
        raise ValueError(f"tolerance must lie in [0, 1), got tolerance={tolerance!r}")
    return t


# --------------------------------------------------------------------------------------------------
# Clopper--Pearson bounds (exact, via the beta quantile function)


def cp_lower(successes: int, trials: int, alpha: float) -> float:
    """One-sided Clopper--Pearson lower confidence bound at level ``alpha`` (exact).

    The largest ``q`` with ``P(Bin(m, q) >= k) <= alpha`` -- i.e. the ``alpha`` quantile of
    ``Beta(k, m - k + 1)``; exactly ``0`` when ``k = 0`` (and when ``m = 0``).  Coverage is at least
    ``1 - alpha`` for every true ``p``.
    """
    k, m = _check_counts(successes, trials)
    a = _check_alpha(alpha)
    if k == 0:
        return 0.0
    if k == m:  # closed form: alpha ** (1 / m)
        return float(a ** (1.0 / m))
    return float(_st.beta.ppf(a, k, m - k + 1))


def cp_upper(successes: int, trials: int, alpha: float) -> float:
    """One-sided Clopper--Pearson upper confidence bound at level ``alpha`` (exact).

    The smallest ``q`` with ``P(Bin(m, q) <= k) <= alpha``; exactly ``1`` when ``k = m``.  Computed as
    ``1 - cp_lower(m - k, m, alpha)`` (the symmetry ``k -> m - k``), which keeps full relative precision
    of ``1 - bound`` near one.
    """
    k, m = _check_counts(successes, trials)
    if k == m:
        _check_alpha(alpha)
        return 1.0
    return 1.0 - cp_lower(m - k, m, alpha)


def clopper_pearson(successes: int, trials: int, alpha: float) -> tuple[float, float]:
    """Two-sided exact Clopper--Pearson interval with confidence ``1 - alpha``.

    Each side is the one-sided bound at level ``alpha / 2``; the edges are exact: ``lo = 0`` when
    ``k = 0`` and ``hi = 1`` when ``k = m``.  With ``m = 0`` the interval is ``(0, 1)``.
    Coverage is at least ``1 - alpha`` (conservative, never approximate).
    """
    a = _check_alpha(alpha)
    return cp_lower(successes, trials, a / 2.0), cp_upper(successes, trials, a / 2.0)


# --------------------------------------------------------------------------------------------------
# exact binomial tests


def binomial_p_value(successes: int, trials: int, p_stated: float) -> float:
    """Exact one-sided p-value of ``H0: p_true >= p_stated`` given ``k`` successes in ``m`` trials.

    Returns ``P(Bin(m, p_stated) <= k)`` (the alternative is "the event is rarer than claimed").
    Exact: evaluated by the regularized incomplete beta function, accurate for ``p_stated`` extremely
    close to one (e.g. ``1 - 1e-12``).  Edges: ``p_stated <= 0`` is a vacuous claim, p-value ``1``;
    ``p_stated = 1`` gives ``1`` if ``k = m`` and ``0`` otherwise; ``m = 0`` gives ``1``.
    """
    k, m = _check_counts(successes, trials)
    p = _check_probability(p_stated)
    if p <= 0.0 or k == m:
        return 1.0
    if p == 1.0:
        return 0.0
    return float(min(1.0, _st.binom.cdf(k, m, p)))


def _refuted(k, m, p, alpha):
    """Vectorized refutation rule (shared by :func:`judge` and :func:`trials_needed`)."""
    k = np.asarray(k)
    m = np.asarray(m)
    if p <= 0.0:
        return np.zeros(np.broadcast(k, m).shape, dtype=bool)
    if p == 1.0:
        return k < m
    return _st.binom.cdf(k, m, p) <= alpha


def _verified_bound(k, m, p, alpha, tolerance):
    """Vectorized rule "the data reject p_true <= p - tolerance at level alpha".

    ``P(Bin(m, t) >= k) <= alpha`` with ``t = p - tolerance``; equivalent to ``cp_lower(k, m, alpha) >= t``
    (the tail is increasing in ``t``).  Trivially true when ``t <= 0``.
    """
    k = np.asarray(k)
    m = np.asarray(m)
    t = p - tolerance
    if t <= 0.0:
        return np.ones(np.broadcast(k, m).shape, dtype=bool)
    # sf(k - 1) = P(X >= k); for k = 0 this is 1 > alpha (nothing can be concluded).
    return _st.binom.sf(k - 1, m, t) <= alpha


@dataclass(frozen=True)
class BinomialJudgement:
    """The outcome of :func:`judge`, with all the evidence a report needs.

    ``ci_low`` / ``ci_high`` are the one-sided Clopper--Pearson lower / upper bounds at level ``alpha``
    (each alone has coverage ``>= 1 - alpha``); ``p_value`` is :func:`binomial_p_value`.
    """

    successes: int
    trials: int
    p_stated: float
    alpha: float
    tolerance: float
    p_value: float
    ci_low: float
    ci_high: float
    verdict: Verdict
    reason: str

    @property
    def rate(self) -> float:
        """Observed success frequency ``k / m`` (``nan`` when ``m = 0``)."""
        return self.successes / self.trials if self.trials else float("nan")


def judge(successes: int, trials: int, p_stated: float, alpha: float, tolerance: float) -> BinomialJudgement:
    """Judge "the event holds with probability >= p_stated" from ``k`` successes in ``m`` trials.

    * REFUTED iff ``binomial_p_value(k, m, p_stated) <= alpha``.  Exact: if the claim is true the
      probability of this verdict is ``<= alpha``.
    * VERIFIED iff not refuted and ``P(Bin(m, p_stated - tolerance) >= k) <= alpha`` -- equivalently the
      one-sided Clopper--Pearson lower bound ``ci_low >= p_stated - tolerance``: the data rule out, at
      level ``alpha``, a violation larger than ``tolerance``.
    * INCONCLUSIVE otherwise (not enough trials).
    * ``p_stated <= 0``: vacuous claim, VERIFIED trivially, reason "vacuous: stated probability <= 0".
    """
    k, m = _check_counts(successes, trials)
    p = _check_probability(p_stated)
    a = _check_alpha(alpha)
    tol = _check_tolerance(tolerance)
    pv = binomial_p_value(k, m, p)
    lo = cp_lower(k, m, a)
    hi = cp_upper(k, m, a) if m > 0 else 1.0
    if p <= 0.0:
        verdict = Verdict.VERIFIED
        reason = f"vacuous: stated probability ≤ 0 (p_stated={p:.6g}); nothing to check"
    elif bool(_refuted(k, m, p, a)):
        verdict = Verdict.REFUTED
        reason = (
            f"{k}/{m} successes; exact one-sided binomial p-value {pv:.3g} <= alpha={a:.3g} for "
            f"H0: p >= {p:.12g} (upper {1 - a:.6g}-confidence bound {hi:.6g})"
        )
    elif bool(_verified_bound(k, m, p, a, tol)):
        verdict = Verdict.VERIFIED
        reason = (
            f"{k}/{m} successes; not refuted (p-value {pv:.3g} > alpha={a:.3g}) and lower "
            f"{1 - a:.6g}-confidence bound {lo:.6g} >= p_stated - tolerance = {p - tol:.6g}"
        )
    else:
        verdict = Verdict.INCONCLUSIVE
        reason = (
            f"{k}/{m} successes; not refuted (p-value {pv:.3g} > alpha={a:.3g}) but lower "
            f"{1 - a:.6g}-confidence bound {lo:.6g} < p_stated - tolerance = {p - tol:.6g}: too few trials"
        )
    return BinomialJudgement(
        successes=k,
        trials=m,
        p_stated=p,
        alpha=a,
        tolerance=tol,
        p_value=pv,
        ci_low=lo,
        ci_high=hi,
        verdict=verdict,
        reason=reason,
    )


def trials_needed(p_stated: float, alpha: float, tolerance: float, max_trials: int = 10**6) -> int:
    """Smallest ``m`` for which the claim holding exactly at its stated rate is VERIFIED.

    Precisely: the smallest ``m >= 1`` such that ``judge(math.ceil(m * p_stated), m, p_stated, alpha,
    tolerance)`` is VERIFIED (the product ``m * p_stated`` taken in float64).  This is computed *before sampling*, from the false-alarm budget
    ``alpha`` and the tolerance, so the number of Monte Carlo trials is never tuned to the data.

    Search: the verdict is *not* monotone in ``m`` -- ``ceil(m p) / m`` is a sawtooth (the classical
    sawtooth of exact binomial sample sizes, Chernick & Liu 2002) -- so plain bisection could step over a
    smaller admissible ``m``.  The search therefore doubles a window ``[lo, 2 lo)`` and evaluates the
    exact rule for *every* ``m`` in it (vectorized binomial tails), stopping at the first window that
    contains an admissible ``m``.  The result is exact and the cost is ``O(m)`` tail evaluations.
    The answer is monotone: non-increasing in ``alpha`` and in ``tolerance`` (larger ``alpha`` or
    ``tolerance`` only enlarges the admissible set).

    Caveat for planning: at the boundary ``p_true = p_stated`` the realised ``k`` falls below
    ``m p_stated`` about half of the time, so this ``m`` verifies a claim that is exactly tight with
    probability about 1/2; true rates above ``p_stated`` verify far more often.

    A vacuous claim (``p_stated <= 0``) needs ``0`` trials.  Raises ValueError (naming the values) when
    no ``m <= max_trials`` suffices, e.g. ``p_stated = 1`` with ``tolerance = 0``.
    """
    p = _check_probability(p_stated)
    a = _check_alpha(alpha)
    tol = _check_tolerance(tolerance)
    if isinstance(max_trials, bool) or int(max_trials) != max_trials or max_trials < 1:
        raise ValueError(f"max_trials must be a positive integer, got max_trials={max_trials!r}")
    max_trials = int(max_trials)
    if p <= 0.0:
        return 0
    lo = 1
    while lo <= max_trials:
        hi = min(2 * lo, max_trials + 1)  # window [lo, hi)
        m = np.arange(lo, hi, dtype=np.int64)
        # k = ceil(m * p) evaluated in float64, exactly as a caller writing math.ceil(m * p) would.
        k = np.minimum(np.ceil(m * p).astype(np.int64), m)
        ok = ~_refuted(k, m, p, a) & _verified_bound(k, m, p, a, tol)
        idx = np.flatnonzero(ok)
        if idx.size:
            return int(m[idx[0]])
        lo = hi
    raise ValueError(
        f"no m <= max_trials={max_trials} verifies p_stated={p!r} at alpha={a!r} with tolerance={tol!r}"
        + ("; p_stated = 1 with tolerance = 0 can never be verified" if p == 1.0 and tol == 0.0 else "")
    )


# --------------------------------------------------------------------------------------------------
# false-alarm budget


@dataclass(frozen=True)
class FalseAlarmBudget:
    """The false-alarm probability of a whole run, fixed in advance and split by Bonferroni.

    ``total`` is the probability that at least one true statement is reported refuted in the whole run;
    ``assertions`` the number of binomial assertions it is shared among.  ``per_assertion =
    total / assertions`` is the ``alpha`` each assertion uses; the union bound makes the run's
    false-alarm probability ``<= total`` whatever the dependence between assertions (exact bound, not an
    approximation).
    """

    total: float = 1e-6
    assertions: int = 1

    def __post_init__(self):
        t = self.total
        if isinstance(t, bool) or not isinstance(t, (int, float, np.floating, np.integer)) or not (0.0 < float(t) < 1.0):
            raise ValueError(f"FalseAlarmBudget.total must lie in (0, 1), got total={t!r}")
        n = self.assertions
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"FalseAlarmBudget.assertions must be an integer >= 1, got assertions={n!r}")
        object.__setattr__(self, "total", float(t))
        object.__setattr__(self, "assertions", int(n))

    @property
    def per_assertion(self) -> float:
        """Bonferroni share ``total / assertions``: the ``alpha`` of one assertion."""
        return self.total / self.assertions

    def split(self, k: int) -> "FalseAlarmBudget":
        """A budget for ``k`` sub-assertions of one assertion: ``total = self.per_assertion``."""
        return FalseAlarmBudget(total=self.per_assertion, assertions=k)


# --------------------------------------------------------------------------------------------------
# scaling laws and implied constants


@dataclass(frozen=True)
class PowerLawFit:
    """Fit of ``y = prefactor * x ** exponent`` by OLS of ``log y`` on ``log x``.

    ``ci_low`` / ``ci_high`` bound the exponent with a two-sided Student-t interval at ``level`` (exact
    under i.i.d. Gaussian log-residuals; otherwise an approximation).  ``r2`` is the coefficient of
    determination in log space; ``stderr`` the standard error of the exponent.
    """

    exponent: float
    prefactor: float
    ci_low: float
    ci_high: float
    r2: float
    n: int
    level: float = 0.95
    stderr: float = 0.0

    def contains(self, exponent: float) -> bool:
        """Whether ``exponent`` lies in the confidence interval (closed)."""
        return self.ci_low <= exponent <= self.ci_high


def _positive_finite(name: str, v) -> np.ndarray:
    a = np.asarray(v, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite, got non-finite values {a[~np.isfinite(a)][:5].tolist()}")
    if not np.all(a > 0):
        raise ValueError(f"{name} must be positive (log-log fit), got {a[a <= 0][:5].tolist()}")
    return a


def fit_power_law(x, y, level: float = 0.95) -> PowerLawFit:
    """OLS fit of ``log y = log prefactor + exponent * log x`` with a Student-t CI for the exponent.

    Requires ``n >= 3`` positive finite pairs and at least two distinct ``x``.  Exact data
    (``y = c x^a``) give ``exponent == a`` up to rounding and a zero-width interval.
    """
    xa = _positive_finite("x", x)
    ya = _positive_finite("y", y)
    if xa.shape != ya.shape:
        raise ValueError(f"x and y must have the same length, got {xa.size} and {ya.size}")
    n = xa.size
    if n < 3:
        raise ValueError(f"need at least 3 points for a confidence interval, got n={n}")
    lv = float(level)
    if not (0.0 < lv < 1.0):
        raise ValueError(f"level must lie in (0, 1), got level={level!r}")
    lx, ly = np.log(xa), np.log(ya)
    mx, my = lx.mean(), ly.mean()
    sxx = float(np.sum((lx - mx) ** 2))
    if sxx <= 0.0 or np.ptp(lx) == 0.0:
        raise ValueError("x must contain at least two distinct values")
    slope = float(np.sum((lx - mx) * (ly - my)) / sxx)
    intercept = float(my - slope * mx)
    resid = ly - (intercept + slope * lx)
    ss_res = float(np.sum(resid**2))
    ss_tot = float(np.sum((ly - my) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0.0 else 1.0
    se = math.sqrt(ss_res / (n - 2) / sxx)
    tq = float(_st.t.ppf(0.5 + lv / 2.0, n - 2))
    return PowerLawFit(
        exponent=slope,
        prefactor=math.exp(intercept),
        ci_low=slope - tq * se,
        ci_high=slope + tq * se,
        r2=r2,
        n=n,
        level=lv,
        stderr=se,
    )


def summarize_implied_constants(values: Iterable[float]) -> dict:
    """Spread of implied constants ``measured / scale``: min, q05, median, q95, max, n.

    Quantiles use numpy's default (linear interpolation).  Raises ValueError on empty or non-finite
    input (an implied constant that is ``nan``/``inf`` is a bug upstream, not a statistic).
    """
    a = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float).ravel()
    if a.size == 0:
        raise ValueError("values is empty: no implied constants to summarize")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"values must be finite, got {a[~np.isfinite(a)][:5].tolist()}")
    q05, med, q95 = np.quantile(a, [0.05, 0.5, 0.95])
    return {
        "min": float(a.min()),
        "q05": float(q05),
        "median": float(med),
        "q95": float(q95),
        "max": float(a.max()),
        "n": int(a.size),
    }
