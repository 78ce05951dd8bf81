"""Lemmas 5.2–5.5 (THEOREMS.md §3; theorems/sec5.py).

* Lemma 5.2 (matrix Chernoff) with the derived absolute constant LEM52_C (theorems/constants.py: Tropp 2011 Thm
  1.1 at ε = 1/2 + Gaussian concentration of ‖F w‖), at probability 1 − δ, n_k at the lemma's threshold; control:
  n_k < N gives σ_min = 0.
* Lemma 5.3 and Lemma 5.4 (v5): deterministic, Hypothesis over arbitrary F (shape, scale, near-duplicate rows,
  mixed norms), μ and integer r, tolerances derived in sec5.lemma53_sides / sec5.lemma54_gap.
* Lemma 5.4, ICML form λ_min((FFᵀ)^{∘r}) ≥ λ_min((F̃F̃ᵀ)^{∘r}): refuted by an explicit input (the v5 correction).
* Lemma 5.5 (v5): Θ((dΠn_lβ_l²)^r) with named constants at the stated probability; μ_k exact (k = 1, Gaussian)
  or Monte Carlo with its error recorded.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ntk
from generators.regimes import arbitrary_data
from generators.seeds import trial_rngs
from theorems import constants as C
from theorems import sec5
from theorems.harness import record_exact, run_check

from .helpers import assert_not_refuted, examples


# ----------------------------------------------------------------------------------- Lemma 5.2
@given(N=st.integers(3, 5), k=st.sampled_from([1, 2]), d=st.integers(16, 48), beta=st.sampled_from([0.5, 1.0, 2.0]),
       delta=st.floats(0.002, 0.05))
@settings(max_examples=examples(1, 2, 20))
def test_lemma52_at_threshold(ntk_context, N, k, d, beta, delta):
    """σ_min(F_k)² ≥ n_kλ/4 w.p. ≥ 1 − δ with n_k = max(N, LEM52_C·Q max(1, log 4Q) log(N/δ)) (per trial)."""
    widths = [d] + ([24] if k == 2 else [])
    s = {"law": {"name": "gaussian"}, "N": N, "k": k, "widths": widths, "betas": [1.0] * (k - 1) + [beta], "delta": round(delta, 4)}
    assert_not_refuted(run_check(ntk_context, "Lemma 5.2", "chernoff", s))


def test_lemma52_threshold_matters(ntk_context):
    """Below n_k = N the matrix F_k ∈ R^{N×n_k} has rank ≤ n_k < N: σ_min(F_k) = 0 < n_kλ/4."""
    g = trial_rngs(ntk_context.session_seed, "Lemma 5.2", "control", {"N": 8}, 1)[0]
    X = g.standard_normal((8, 32))
    lam = ntk.lambda_min(ntk.relu_expectation(X, 1.0)).value
    Fk = np.maximum(X @ g.standard_normal((32, 7)), 0)
    v = ntk.sigma_min(Fk).value
    detected = v == 0.0 and lam > 0
    record_exact(ntk_context, "Lemma 5.2", "control: n_k < N", {"N": 8, "d": 32, "n_k": 7}, holds=detected,
                 measured={"sigma_min": v, "bound": 7 * lam / 4, "hypothesis_violated": "n_k ≥ max(N, cQ…)"},
                 reason="σ_min(F_k) = 0 for n_k = N − 1: the width condition is needed")
    assert detected


# ----------------------------------------------------------------------------------- Lemma 5.3
@given(data=arbitrary_data(max_n=16, max_d=12), beta=st.sampled_from([0.1, 1.0, 3.0]), r=st.integers(1, 6))
@settings(max_examples=examples(30, 60, 500))
def test_lemma53_exact(ntk_context, data, beta, r):
    """λ_min(E σ(Fw)σ(Fw)ᵀ) ≥ β²μ_r²λ_min((FFᵀ)^{∘r})/max‖F_i‖^{2(r−1)} for any F (no zero rows), any r > 0."""
    F = data.build()
    lhs, rhs, tol = sec5.lemma53_sides(F, beta, r)
    ok = lhs >= rhs - tol
    record_exact(ntk_context, "Lemma 5.3", "exact", {**data.params(), "beta": beta, "r": r}, holds=ok,
                 slack=(lhs - rhs) / max(abs(lhs), tol, 1e-300), measured={"lhs": lhs, "rhs": rhs, "tol": tol})
    assert ok, (lhs, rhs, tol, data)


# ----------------------------------------------------------------------------------- Lemma 5.4
@given(data=arbitrary_data(max_n=12, max_d=10), mu_scale=st.integers(-3, 3), mu_kind=st.sampled_from(["random", "row-mean", "row"]),
       r=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=examples(30, 60, 500))
def test_lemma54_exact(ntk_context, data, mu_scale, mu_kind, r, seed):
    """(FFᵀ)^{∘r} − (F̃F̃ᵀ − Λ11ᵀΛ/‖μ‖²)^{∘r} ⪰ 0 (λ_min ≥ −tol) for any F, nonzero μ, integer r > 0."""
    F = data.build()
    g = np.random.default_rng(seed)
    mu = {"random": g.standard_normal(F.shape[1]) * np.abs(F).max(), "row-mean": F.mean(axis=0), "row": F[0].copy()}[mu_kind]
    mu = mu * 10.0**mu_scale
    if not np.any(mu):
        mu[0] = 1.0
    gap, tol = sec5.lemma54_gap(F, mu, r)
    ok = gap >= -tol
    record_exact(ntk_context, "Lemma 5.4", "exact", {**data.params(), "mu_kind": mu_kind, "mu_scale": mu_scale, "r": r, "seed": seed},
                 holds=ok, slack=gap / tol if tol > 0 else None, measured={"lambda_min_gap": gap, "tol": tol})
    assert ok, (gap, tol, data)


def test_lemma54_icml_counterexample_is_resolved():
    """The counterexample is decided beyond rounding: λ_min((FFᵀ)^{∘2}) = 0 (within tol), λ_min((F̃F̃ᵀ)^{∘2}) ≈ 0.67."""
    F, mu, r = sec5.icml54_counterexample()
    a, b, tol = sec5.icml54_sides(F, mu, r)
    assert abs(a) <= tol and abs(b - (14.5 - math.sqrt(10.5**2 + 81))) <= 1e-12 and b - a > 100 * tol


@pytest.mark.xfail(strict=True, reason="Lemma 5.4 in the suite's reconstruction of the ICML print is false (corrected in arXiv v5; "
                   "verify the reconstruction against the ICML PDF): explicit counterexample; "
                   "replay: pytest tests/test_lemmas_5.py::test_lemma54_icml_form_fails -p no:randomly")
def test_lemma54_icml_form_fails(ntk_context):
    """F = [[1,0],[2,0]], μ = (0,1), r = 2: λ_min((FFᵀ)^{∘2}) = 0 < λ_min((F̃F̃ᵀ)^{∘2}) ≈ 0.67 — the ICML statement
    fails (record: paper_version 'icml', verdict refuted). xfail(strict): the test asserts the ICML claim."""
    F, mu, r = sec5.icml54_counterexample()
    rec = run_check(ntk_context, "Lemma 5.4", "icml-form", {"F": F.tolist(), "mu": mu.tolist(), "r": r})
    assert rec.paper_version == "icml"
    assert_not_refuted(rec)


def test_lemma54_icml_form_on_network_features(ntk_context):
    """Report: how often the ICML inequality fails on actual ReLU features (k = 1, Gaussian data, exact μ_1)."""
    fails = 0
    for g in trial_rngs(ntk_context.session_seed, "Lemma 5.4", "icml-network", {"N": 8}, 20):
        X = g.standard_normal((8, 64))
        W = g.standard_normal((64, 64))
        F = np.maximum(X @ W, 0)
        mu = np.linalg.norm(W, axis=0) / math.sqrt(2 * math.pi)
        a, b, tol = sec5.icml54_sides(F, mu, 2)
        fails += a < b - tol
    record_exact(ntk_context, "Lemma 5.4", "icml-form on features (report)", {"N": 8, "d": 64, "n_1": 64, "r": 2, "draws": 20},
                 holds=True, measured={"icml_failures": int(fails), "draws": 20},
                 reason=f"reconstructed ICML inequality fails on {fails}/20 draws of network features")


# ----------------------------------------------------------------------------------- Lemma 5.5
def _lem55(k, law, N, r, mc=256):
    base = {"law": {"name": law}, "N": N, "k": k, "r": r, "mc": mc, "betas": [1.0] * k}
    m = 16
    while sec5.lem55_probability({**base, "widths": [m] * (k + 1)}) < C.value("THM51_REGIME_P"):
        m = int(m * 1.25)
    return {**base, "widths": [m] * (k + 1)}


@pytest.mark.parametrize("k,law,N,r", [(1, "gaussian", 8, 6), (2, "sphere", 6, 8)])
def test_lemma55_theta(ntk_context, k, law, N, r):
    """λ_min(Lemma 5.4 matrix) ∈ [REM(b_lo(1−ρ_k)E_k)^r, (2b_hi E_k)^r] at the stated probability (v5 exponent)."""
    s = _lem55(k, law, N, r)
    assert sec5.LEM_5_5.in_regime(s), s
    assert_not_refuted(run_check(ntk_context, "Lemma 5.5", "theta", s))
