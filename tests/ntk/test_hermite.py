"""Hermite coefficients, the dual-kernel identity and Khatri–Rao powers (THEOREMS.md §1, "Hermite").

References: ``scipy.integrate.quad`` of the defining integrals with the Hermite polynomials from
``scipy.special.eval_hermitenorm`` (not :func:`ntk.hermite_functions`), mpmath for large ``r``, the
exact value ``μ_r(exp) = e^{1/2}/√(r!)``, Stirling asymptotics derived below, and explicit row-wise
Kronecker products.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.integrate
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

import ntk
from tests.ntk import reference as R

EPS = R.EPS
PHI = 1 / math.sqrt(2 * math.pi)


def _h(r, g):
    """Orthonormal ``h_r = He_r/√(r!)`` from scipy (independent of ntk.hermite_functions)."""
    return scipy.special.eval_hermitenorm(r, g) / math.sqrt(math.factorial(r))


def _quad_coeff(f, r, lo, hi):
    """``∫_lo^hi f(g) h_r(g) φ(g) dg`` and the error bound ``abserr + 100 eps ∫|f h_r| φ``: quad's estimate
    plus the rounding floor (a few dozen flops per integrand value, summed over the Kronrod rules of all
    subintervals). quad's absolute target is that floor — below it quad reports round-off — and its
    warnings are errors here, so the returned estimate is one quad stands behind."""
    integrand = lambda g: f(g) * _h(r, g) * PHI * math.exp(-0.5 * g * g)  # noqa: E731
    pts = [p for p in (-8.0, 0.0, 8.0) if lo < p < hi]
    with warnings.catch_warnings():
        warnings.simplefilter("error", scipy.integrate.IntegrationWarning)
        a, _ = scipy.integrate.quad(lambda g: abs(integrand(g)), lo, hi, epsrel=1e-6, limit=400, points=pts)
        floor = 100 * EPS * a
        v, e = scipy.integrate.quad(integrand, lo, hi, epsabs=floor, epsrel=1e-13, limit=400, points=pts)
    return v, e + floor


def _log_terms(r):
    """``Σ`` of the absolute values of the log-space terms of ``relu_hermite`` (the scale of its rounding)."""
    r = np.asarray(r, dtype=float)
    return 0.5 * np.abs(r - 2) * math.log(2) + np.abs(scipy.special.gammaln(0.5 * (r - 1))) + 0.5 * scipy.special.gammaln(r + 1) + 2


# ------------------------------------------------------------------------------------ ReLU μ_r
@pytest.mark.parametrize("r", range(21))
def test_relu_hermite_vs_quad(r):
    """``μ_r(ReLU) = ∫_0^∞ g h_r(g) φ(g) dg`` (the integrand is smooth on [0, ∞); the tail beyond 40 is
    < 40^{21} e^{−800})."""
    v, err = _quad_coeff(lambda g: g, r, 0.0, 40.0)
    mu = ntk.relu_hermite(r)
    assert abs(mu - v) <= err + 8 * EPS * _log_terms(max(r, 2)) * abs(mu), (r, mu, v, err)
    if r % 2 == 1 and r >= 3:
        assert mu == 0.0


def test_relu_hermite_special_values_and_array_input():
    assert ntk.relu_hermite(0) == pytest.approx(1 / math.sqrt(2 * math.pi), rel=EPS)
    assert ntk.relu_hermite(1) == 0.5
    assert ntk.relu_hermite(2) == pytest.approx(1 / math.sqrt(4 * math.pi), rel=8 * EPS)
    r = np.arange(30)
    arr = ntk.relu_hermite(r)
    assert arr.shape == (30,)
    assert np.array_equal(arr, np.array([ntk.relu_hermite(int(k)) for k in r]))
    assert ntk.relu_hermite(4.0) == ntk.relu_hermite(4)


def test_relu_hermite_large_r_vs_mpmath_and_stirling():
    """At ``r = 10⁴``: no overflow, sign ``(−1)^{(r−2)/2} = −1``, value vs mpmath, and vs the asymptotic.

    Derivation (``r = 2m``): ``(2m−3)!! = (2m−1)!!/(2m−1)`` and ``(2m−1)!! = (2m)!/(2^m m!)`` give
    ``μ_r² = binom(2m, m) 4^{−m} / (2π (2m−1)²)``. With ``binom(2m,m)4^{−m} = (πm)^{−1/2}(1 − 1/(8m) +
    1/(128m²) − …)`` and ``(2m−1)^{−2} = (4m²)^{−1}(1 + 1/m + 3/(4m²) + …)``:
    ``|μ_r| = 2^{−1/4} π^{−3/4} r^{−5/4} (1 + 7/(8r) + 113/(128 r²) + O(r^{−3}))``.
    Rounding of the log-space formula: ≤ 4 eps × (sum of |log terms| ≈ 8e4) ≈ 7e-11 relative."""
    mpmath = pytest.importorskip("mpmath")
    r = 10**4
    mu = ntk.relu_hermite(r)
    assert np.isfinite(mu) and mu < 0
    tol = 4 * EPS * float(_log_terms(r))
    with mpmath.workdps(40):
        ref = -mpmath.fac2(r - 3) / (mpmath.sqrt(2 * mpmath.pi) * mpmath.sqrt(mpmath.factorial(r)))
        assert abs(mu / float(ref) - 1) <= tol
    asym = 2**-0.25 * math.pi**-0.75 * r**-1.25
    assert abs(abs(mu) / asym - (1 + 7 / (8 * r) + 113 / (128 * r * r))) <= tol + 10 / r**3
    # still finite, with the right sign pattern, far beyond: r = 10⁸
    big = ntk.relu_hermite(np.array([10**8, 10**8 + 2, 10**8 + 1]))
    assert np.all(np.isfinite(big)) and big[0] * big[1] < 0 and big[2] == 0
    assert abs(abs(big[0]) / (2**-0.25 * math.pi**-0.75 * 1e8**-1.25) - 1) <= 1e-7 + 4 * EPS * float(_log_terms(1e8))


@pytest.mark.parametrize("R_", [10, 100, 1000, 10**4, 10**5])
def test_relu_hermite_parseval_tail_bound(R_):
    """``Σ_r μ_r² = E[σ(g)²] = 1/2``. Tail (odd ``r ≥ 3`` vanish; ``r = 2m``): with
    ``(2√m)^{−1} ≤ binom(2m,m)4^{−m} ≤ (πm)^{−1/2}`` and ``m² ≤ (2m−1)² ≤ 4m²``,
    ``1/(16π m^{5/2}) ≤ μ_{2m}² ≤ 1/(2π^{3/2} m^{5/2})``; comparing sums with integrals, for ``M = ⌊R/2⌋``
    ``1/(24π (M+1)^{3/2}) ≤ 1/2 − Σ_{r≤R} μ_r² ≤ 1/(3π^{3/2} M^{3/2})`` — the tail is ``Θ(R^{−3/2})``."""
    r = np.arange(R_ + 1)
    mu = ntk.relu_hermite(r)
    sq = mu * mu
    tail = 0.5 - math.fsum(sq)
    # rounding: each μ_r² within 8 eps·(log-term scale) relative; fsum exact-ish; 0.5 − s exact-ish
    err = float(np.sum(sq * 8 * EPS * _log_terms(np.maximum(r, 2)))) + 2 * EPS
    M = R_ // 2
    lo, hi = 1 / (24 * math.pi * (M + 1) ** 1.5), 1 / (3 * math.pi**1.5 * M**1.5)
    assert lo - err <= tail <= hi + err, (tail, lo, hi, err)


# --------------------------------------------------------------------- generic (Gauss–Hermite)
def test_hermite_functions_orthonormal_and_match_scipy():
    x = np.linspace(-6, 6, 25)
    H = ntk.hermite_functions(x, 20)
    for r in range(21):
        ref = _h(r, x)
        # three-term recurrence: error grows ~ r eps relative to the scale √(Σ_k h_k²) (Christoffel–Darboux)
        scale = np.sqrt(np.sum(H[: r + 1] ** 2, axis=0))
        assert np.all(np.abs(H[r] - ref) <= 4 * (r + 1) * EPS * scale), r
    xg, w = np.polynomial.hermite_e.hermegauss(60)
    Hg = ntk.hermite_functions(xg, 20)
    gram = (Hg * (w / math.sqrt(2 * math.pi))) @ Hg.T  # GH exact for degree < 120
    assert np.max(np.abs(gram - np.eye(21))) <= 200 * EPS


def test_hermite_coefficients_exp_exact():
    """``E[e^g h_r(g)] = e^{1/2}/√(r!)`` (generating function ``e^{gt − t²/2} = Σ He_r(g) t^r/r!`` at t = 1).
    Gauss–Hermite with 200 nodes is exact to far below rounding for this entire integrand; rounding of
    the weighted sum is ≤ (nodes + r) eps Σ w|f h_r| and ``Σ w|f h_r| ≤ √(Σ w f²) = √E[e^{2g}] = e``
    (Cauchy–Schwarz, ``Σ w h_r² = 1``)."""
    r_max, nodes = 20, 200
    mu = ntk.hermite_coefficients(np.exp, r_max, nodes=nodes)
    for r in range(r_max + 1):
        exact = math.exp(0.5) / math.sqrt(math.factorial(r))
        assert abs(mu[r] - exact) <= (nodes + r) * EPS * math.e, (r, mu[r], exact)


@pytest.mark.parametrize(
    "name,f",
    [("tanh", np.tanh), ("erf", scipy.special.erf), ("softplus", lambda g: np.logaddexp(0, g))],
)
def test_hermite_coefficients_smooth_activations_vs_quad(name, f):
    r_max, nodes = 20, 200
    mu = ntk.hermite_coefficients(f, r_max, nodes=nodes)
    rms = math.sqrt(scipy.integrate.quad(lambda g: float(f(np.array(g))) ** 2 * PHI * math.exp(-0.5 * g * g), -40, 40)[0])
    for r in range(r_max + 1):
        v, err = _quad_coeff(lambda g: float(f(np.array(g))), r, -40.0, 40.0)
        # GH rounding ≤ (nodes + r) eps √E[f²] (as for exp); GH truncation: analytic f, negligible at 200 nodes
        assert abs(mu[r] - v) <= err + (nodes + r) * EPS * rms, (name, r, mu[r], v)
        if name in ("tanh", "erf") and r % 2 == 0:
            assert abs(mu[r]) <= (nodes + r) * EPS * rms  # odd function: even coefficients vanish


def test_hermite_coefficients_relu_converges_slowly():
    """For the kinked ReLU, GH converges only algebraically (documented): more nodes, better, never exact."""
    exact = ntk.relu_hermite(np.arange(11))
    e = [np.max(np.abs(ntk.hermite_coefficients(lambda g: np.maximum(g, 0), 10, nodes=n) - exact)) for n in (10, 40, 160)]
    assert e[0] > e[1] > e[2] > 1e-12


# ------------------------------------------------------------------------------- dual kernel
@pytest.mark.parametrize("t", [-1.0, -0.9, -0.5, 0.0, 0.3, 0.7, 0.9, 1.0])
def test_dual_kernel_identity(t):
    """``E_w[σ(⟨w,u⟩)σ(⟨w,v⟩)] = Σ_r μ_r² ⟨u,v⟩^r`` for unit ``u, v``; the left side is
    ``ntk.relu_expectation`` (closed form ``κ_1(θ)/2``). Truncation at ``R``: the tail is
    ``≤ |t|^{R+1}·1/(3π^{3/2}⌊R/2⌋^{3/2})`` (bound of the Parseval test); rounding ≤ the sum of the
    terms' relative errors (``μ_r²``: 8 eps × log-term scale; ``t^r``: 2r eps)."""
    R_ = 10**6 if abs(t) == 1.0 else 2000
    th = math.acos(t)
    u = np.array([1.0, 0.0, 0.0])
    v = np.array([math.cos(th), math.sin(th), 0.0])
    lhs = ntk.relu_expectation(np.stack([u, v]))[0, 1]
    tt = float(np.dot(u, v))
    r = np.arange(R_ + 1)
    mu2 = ntk.relu_hermite(r) ** 2
    terms = mu2 * np.power(tt, r)
    rhs = math.fsum(terms)
    tail = abs(tt) ** (R_ + 1) / (3 * math.pi**1.5 * (R_ // 2) ** 1.5)
    err = tail + float(np.sum(np.abs(terms) * (8 * EPS * _log_terms(np.maximum(r, 2)) + 2 * r * EPS)))
    # closed-form side: within τ(d = 3, L = 2)·(entry scale 1/2) (see reference.limiting_tolerance)
    err += R.limiting_tolerance(3, 2) * 0.5
    assert abs(lhs - rhs) <= err, (t, lhs, rhs, err)


# ------------------------------------------------------------------------------- Khatri–Rao
def _kr_reference(A, r):
    rows = []
    for a in A:
        k = np.ones(1)
        for _ in range(r):
            k = np.kron(k, a)
        rows.append(k)
    return np.array(rows)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_khatri_rao_power_identity(N, d, r, seed):
    """``(A^{*r})(A^{*r})ᵀ = (AAᵀ)^{∘r}``. Left: products of ``r`` entries summed over ``d^r`` terms;
    right: a length-``d`` dot product raised to the ``r``-th power. Each within
    ``(d^r + 2r) eps · (|A||A|ᵀ)^{∘r}`` of the exact value."""
    A = np.random.default_rng(seed).standard_normal((N, d))
    Kr = ntk.khatri_rao_power(A, r)
    assert Kr.shape == (N, d**r)
    ref = _kr_reference(A, r)
    assert np.all(np.abs(Kr - ref) <= 2 * r * EPS * np.abs(ref))  # same products, maybe other grouping
    lhs = Kr @ Kr.T
    rhs = ntk.hadamard_power(A @ A.T, r)
    absA = np.abs(A) @ np.abs(A).T
    assert np.all(np.abs(lhs - rhs) <= 2 * (d**r + 2 * r) * EPS * absA**r)
    assert np.array_equal(ntk.hadamard_power(A @ A.T, 0), np.ones((N, N)))
