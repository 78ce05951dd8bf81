"""Thm 5.1 — smallest singular value of the feature matrix F_k (THEOREMS.md §3 "Thm 5.1"; theorems/sec5.py).

(1) the two-sided claim with the named constants at the stated probability inside the regime, in the v5
form (exponent N^{2/(r/2−0.1)}) and, as a second check with ``version="icml"``, at the ICML print's probability
(N^{2/(r−0.1)}); (2) scaling laws: σ_min(F_k)² against n_k and against d, exponent 1 each; (3) the spread of
the implied constant σ_min²/(μ_r² dΠn_lβ_l²) (recorded by every run_check). Control: a layer below N kills it.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

import ntk
from generators.seeds import trial_rngs
from theorems import constants as C
from theorems import sec5
from theorems.harness import record_exact, run_check

from .helpers import assert_not_refuted, assert_scaling, examples

WINDOW = C.value("SCALING_EXPONENT_WINDOW")


@st.composite
def thm51_scenarios(draw, ks=(1, 2), laws=("gaussian", "sphere")):
    """In-regime scenarios: zero-mean A2.2 law, N, k, even r, δ; ``d`` and ``n_l`` (l < k) at the smallest common
    width reaching THM51_REGIME_P (up to +25%), ``n_k`` at the wide threshold (up to 2×), β preset."""
    law = draw(st.sampled_from(laws))
    N = draw(st.integers(4, 10))
    k = draw(st.sampled_from(ks))
    r = draw(st.sampled_from([4, 6, 8]))
    delta = draw(st.sampled_from([0.005, 0.01, 0.02]))
    m = sec5.thm51_min_width(law, N, k, r, delta, C.value("THM51_REGIME_P"))
    m = draw(st.integers(m, m + m // 4))
    nk = sec5.wide_threshold(N, delta)
    nk = draw(st.integers(nk, 2 * nk))
    widths = [m] * k + [nk]
    preset = draw(st.sampled_from(["standard", "he", "lecun"]))
    betas = list(ntk.resolve_betas(widths + [1], preset)[:k])
    return {"law": {"name": law}, "N": N, "k": k, "r": r, "delta": delta, "widths": widths, "betas": betas}


@given(s=thm51_scenarios())
@settings(max_examples=examples(2, 4, 30))
def test_bounds_v5(ntk_context, s):
    """v5: μ_r²Ω(dΠn_lβ_l²) ≤ σ_min(F_k)² ≤ O(dΠn_lβ_l²) with the named constants at the v5 probability."""
    assert sec5.THM_5_1.in_regime(s), s
    assert_not_refuted(run_check(ntk_context, "Thm 5.1", "bounds", s))


@given(s=thm51_scenarios(ks=(1,)))
@settings(max_examples=examples(1, 2, 20))
def test_bounds_icml_probability(ntk_context, s):
    """ICML print: the same event at probability with N^{2/(r−0.1)} (record carries paper_version='icml')."""
    rec = run_check(ntk_context, "Thm 5.1", "bounds-icml", s)
    assert rec.paper_version == "icml"
    assert_not_refuted(rec)


def _sweep(ctx, scen, key, trials=6):
    """Mean σ_min(F_k)² over seeded trials, one weight batch (init_weights_batch) per scenario."""
    out = []
    for s in scen:
        g = trial_rngs(ctx.session_seed, "Thm 5.1", f"scaling-{key}", s, 1)[0]
        X = np.stack([sec5.law_from_spec(s["law"]).sample(s["N"], s["widths"][0], g) for _ in range(trials)])
        Ws = ntk.init_weights_batch(s["widths"] + [1], s["betas"] + [1.0], g, trials=trials)
        F = ntk.forward(X, Ws).features[s["k"]]
        out.append(float(np.mean(ntk.sigma_min(F).value ** 2)))
    return np.array(out)


def test_scaling_in_width(ntk_context):
    """σ_min(F_1)² = Θ(n_1): slope in n_1 (N = 8, d = 256, n_1 ∈ [2⁹, 2¹³]) is 1 within the window."""
    ns = [512, 1024, 2048, 4096, 8192]
    sc = [{"law": {"name": "sphere"}, "N": 8, "k": 1, "r": 6, "delta": 0.01, "widths": [256, n], "betas": [1.0]} for n in ns]
    assert all(sec5.THM_5_1.in_regime(s) for s in sc)
    y = _sweep(ntk_context, sc, "n")
    assert_scaling(ntk_context, "Thm 5.1", "scaling-n_k", {"N": 8, "d": 256, "k": 1, "n_k": ns}, ns, y,
                   exponent=1, xlabel="n_1", ylabel="σ_min(F_1)²")


def test_scaling_in_d(ntk_context):
    """σ_min(F_1)² = Θ(d): slope in d (N = 8, n_1 = 2048, d ∈ [2⁷, 2¹¹]) is 1 within the window."""
    ds = [128, 256, 512, 1024, 2048]
    sc = [{"law": {"name": "sphere"}, "N": 8, "k": 1, "r": 6, "delta": 0.01, "widths": [d, 2048], "betas": [1.0]} for d in ds]
    assert all(sec5.THM_5_1.in_regime(s) for s in sc)
    y = _sweep(ntk_context, sc, "d")
    assert_scaling(ntk_context, "Thm 5.1", "scaling-d", {"N": 8, "n_1": 2048, "k": 1, "d": ds}, ds, y,
                   exponent=1, xlabel="d", ylabel="σ_min(F_1)²")


def test_control_narrow_layer(ntk_context):
    """n_k < N (outside the regime n_k = Ω(N log N log(N/δ))): F_k has rank < N, so σ_min(F_k) = 0 and the lower
    bound fails — the suite sees it."""
    s = {"law": {"name": "sphere"}, "N": 16, "k": 1, "r": 6, "delta": 0.01, "widths": [256, 12], "betas": [1.0]}
    assert not sec5.THM_5_1.in_regime(s)
    g = trial_rngs(ntk_context.session_seed, "Thm 5.1", "control-narrow", s, 1)[0]
    v = sec5.sigma_min_sq(s, g)
    detected = v == 0.0 and v < sec5.lower_bound(s)
    record_exact(ntk_context, "Thm 5.1", "control: n_k < N", s, holds=detected,
                 measured={"sigma_min_sq": v, "lower": sec5.lower_bound(s), "hypothesis_violated": "n_k = Ω(N log N log(N/δ)) (here n_k < N)"},
                 reason="σ_min(F_k) = 0 when n_k < N: the lower bound fails outside the regime")
    assert detected
