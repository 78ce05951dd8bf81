"""Negative controls for the finite-width statements (THEOREMS.md §3 Thm 4.1; DESIGN.md "Negative controls").

(a) A hidden layer narrower than log₂ N kills samples: for a nonzero input each unit of a Gaussian layer is active
    with probability 1/2 independently (given the input), so ``P(f_1(x_i) = 0) = 2^{−n_1}`` exactly and the expected
    number of dead samples is ``N·2^{−n_1}`` exactly (linearity; samples are *not* independent given the weights, so
    only the mean is exact — the probability that at least one dies lies in the Bonferroni bracket
    ``[N p − Σ_{i<j} P(both), N p]``, reported). A dead sample has ``K̄_ii = 0`` exactly, hence ``λ_min(K̄) = 0``.
    Tested: sample 1's death frequency (independent Bernoulli(2^{−n_1}) across trials) with the exact two-sided
    Clopper–Pearson interval, and the mean count with Hoeffding, both at the per-assertion error rate.
(b) No wide layer: ``λ_min(K̄)`` against the parameter count ``P`` (report); asserted only the linear algebra
    ``rank K̄ ≤ P``, i.e. ``λ_min = 0`` (within the rounding bound) when ``P < N``.
(c) Repeated points (two equal rows: ``λ_min(K̄) = 0``) and low-dimensional data (report).
"""

from __future__ import annotations

import math

import numpy as np

import ntk
from generators.lookup import law_from_spec
from generators.seeds import trial_rngs
from theorems import sec4
from theorems.harness import record_exact
from theorems.stats import clopper_pearson


def test_narrow_layer_kills_samples(ntk_context):
    N, d, n1, T = 16, 32, 3, 400
    s = {"law": {"name": "gaussian"}, "N": N, "d": d, "widths": [d, n1, 64, 1], "betas": "standard", "r": 2, "delta": 0.01}
    assert n1 < math.log2(N) and not sec4.in_regime(s)
    counts, any_dead, zero_lam, first = [], 0, 0, 0
    for g in trial_rngs(ntk_context.session_seed, "Thm 4.1", "control-narrow", s, T):
        X = g.standard_normal((N, d))
        W = ntk.init_weights(s["widths"], "standard", g)
        dead = np.all(ntk.forward(X, W).features[1] == 0, axis=1)
        counts.append(int(dead.sum()))
        first += int(dead[0])  # sample 1 alone: Bernoulli(2^{−n_1}), independent across trials
        if dead.any():
            any_dead += 1
            K = ntk.empirical_ntk(X, W)
            e = ntk.lambda_min(K)
            assert np.all(K[dead][:, :] == 0.0), "a dead sample must have an exactly zero row of K̄"
            assert e.value <= e.floor
            zero_lam += 1
    p = 2.0**-n1
    mean, expect = float(np.mean(counts)), N * p
    half = N * math.sqrt(math.log(2 / ntk_context.alpha) / (2 * T))  # Hoeffding, counts ∈ [0, N]
    lo, hi = clopper_pearson(first, T, ntk_context.alpha)
    ok = abs(mean - expect) <= half and zero_lam == any_dead and lo <= p <= hi
    record_exact(ntk_context, "Thm 4.1", "control: layer narrower than log2 N", s, holds=ok,
                 measured={"sample1_dead": first, "trials": T, "cp_low": lo, "cp_high": hi, "predicted_p": p, "mean_dead": mean, "predicted_mean_dead": expect, "hoeffding_halfwidth": half,
                           "freq_any_dead": any_dead / T, "bonferroni_upper": min(1.0, N * p),
                           "independent_samples_approx": 1 - (1 - p) ** N, "lambda_zero_when_dead": zero_lam,
                           "hypothesis_violated": "no wide layer / n_1 < log2 N (ξ_k = 0 for all k)"},
                 reason=f"sample 1 dead in {first}/{T} trials, exact CP [{lo:.3f}, {hi:.3f}] ∋ 2^(−n_1) = {p:.3f}; mean dead samples {mean:.3f} vs predicted N·2^(−n_1) = {expect:.3f} (±{half:.3f}); "
                        f"λ_min(K̄) = 0 exactly in all {zero_lam} trials with a dead sample")
    assert ok, (mean, expect, half, zero_lam, any_dead)


def test_no_wide_layer_lambda_vs_parameter_count(ntk_context):
    N, d = 48, 8
    ws = [1, 2, 3, 4, 5, 6, 8, 12]
    P, lam, ok = [], [], True
    for w in ws:
        widths = [d, w, w, 1]
        Pw = d * w + w * w + w
        g = trial_rngs(ntk_context.session_seed, "Thm 4.1", "control-nowide", {"w": w}, 1)[0]
        X = g.standard_normal((N, d))
        W = ntk.init_weights(widths, "he", g)
        e = ntk.lambda_min(ntk.empirical_ntk(X, W))
        tol = e.floor + N * sec4.abs_ntk_bound(X, W)
        if Pw < N:
            ok &= abs(e.value) <= tol
        P.append(Pw)
        lam.append(max(e.value, 0.0))
    record_exact(ntk_context, "Thm 4.1", "control: no wide layer (λ_min vs P, report)", {"N": N, "d": d, "widths": "[d, w, w, 1]", "w": ws},
                 holds=bool(ok), measured={"x": P, "y": lam, "xlabel": "parameter count P", "ylabel": "λ_min(K̄)",
                                           "hypothesis_violated": "no layer with n_k = Ω(N log N log(N/δ))"},
                 reason="λ_min(K̄) = 0 (within rounding) whenever P < N (rank K̄ ≤ P); larger P reported only")
    assert ok


def test_repeated_and_lowdim_data(ntk_context):
    s = {"N": 12, "d": 64, "widths": [64, 200, 64, 1]}
    g = trial_rngs(ntk_context.session_seed, "Thm 4.1", "control-repeated", s, 1)[0]
    X = law_from_spec({"name": "repeated"}).sample(12, 64, g)
    W = ntk.init_weights(s["widths"], "he", g)
    e = ntk.lambda_min(ntk.empirical_ntk(X, W))
    tol = e.floor + 12 * sec4.abs_ntk_bound(X, W)
    ok = abs(e.value) <= tol
    record_exact(ntk_context, "Thm 4.1", "control: repeated points", s, holds=ok,
                 measured={"lambda_min": e.value, "tol": tol, "hypothesis_violated": "i.i.d. continuous data"},
                 reason="two equal rows ⇒ λ_min(K̄) = 0 within the rounding bound")
    assert ok
    vals = {}
    for name in ("gaussian", "lowdim"):
        sl = {"law": {"name": name}, "N": 12, "d": 64, "widths": [64, 200, 64, 1], "betas": "he", "r": 4, "delta": 0.01}
        rs = trial_rngs(ntk_context.session_seed, "Thm 4.1", f"control-{name}", sl, 6)
        vals[name] = float(np.mean([sec4.lambda_min_draw(sl, r) for r in rs]))
    assert np.isfinite(list(vals.values())).all()
    record_exact(ntk_context, "Thm 4.1", "control: low-dimensional data (report)", {"N": 12, "d": 64, "k": 2}, holds=True,
                 measured={"lambda_min_gaussian": vals["gaussian"], "lambda_min_lowdim": vals["lowdim"],
                           "hypothesis_violated": "A2.2 / full dimension (data in a 2-dim subspace)"},
                 reason=f"mean λ_min: Gaussian {vals['gaussian']:.4g}, low-dim {vals['lowdim']:.4g} (reported, nothing asserted)")
