"""Negative controls for the finite-width statements (THEOREMS.md §3 Thm 4.1; DESIGN.md "Negative controls").

Every control below is a test on random draws that can fail (``tests/helpers.assert_control``: counted in the
run's error budget at its ``alpha``; the test fails when the violation the theory predicts is not seen):

(a) A hidden layer narrower than log₂ N kills samples: for a nonzero input each unit of a Gaussian layer is active
    with probability 1/2 independently (given the input), so ``P(f_1(x_i) = 0) = 2^{−n_1}`` exactly and the expected
    number of dead samples is ``N·2^{−n_1}`` exactly (linearity; samples are *not* independent given the weights, so
    only the mean is exact — the probability that at least one dies lies in the Bonferroni bracket
    ``[N p − Σ_{i<j} P(both), N p]``, reported). A dead sample has ``K̄_ii = 0`` exactly, hence ``λ_min(K̄) = 0``.
    Tested: sample 1's death frequency (independent Bernoulli(2^{−n_1}) across trials) with the exact two-sided
    Clopper–Pearson interval, and the mean count with Hoeffding, both at the per-assertion error rate.
(b) No wide layer (every ξ_k = 0): the named lower bound is the data term alone, and λ_min(K̄) falls to it — the
    ratio λ_min(K̄)/data term, Θ(1) without a wide layer, is more than twice its largest value once a wide layer
    of width 8000 is inserted (exact median intervals). Plus the linear algebra ``rank K̄ ≤ P`` (``λ_min = 0``
    within rounding when ``P < N``), an exact property, with λ_min against P reported.
(c) Repeated points (two equal rows: ``λ_min(K̄) = 0`` within rounding, every draw) and low-dimensional data
    (a 2-dimensional subspace: ``λ_min(XXᵀ) = 0`` and A2.2 fails; λ_min(K̄) collapses by more than ×10 against
    Gaussian data of the same scale, exact median intervals).
"""

from __future__ import annotations

import math

import numpy as np

import ntk
from generators.lookup import law_from_spec
from generators.seeds import trial_rngs
from theorems import sec4
from theorems.harness import record_exact
from theorems.inference import median_interval
from theorems.stats import clopper_pearson

from .helpers import assert_control


def test_narrow_layer_kills_samples(ntk_context):
    N, d, n1, T = 16, 32, 3, 400
    s = {"law": {"name": "gaussian"}, "N": N, "d": d, "widths": [d, n1, 64, 1], "betas": "standard", "r": 2, "delta": 0.01}
    assert n1 < math.log2(N) and not sec4.in_regime(s)
    counts, any_dead, zero_lam, first, zero_rows = [], 0, 0, 0, True
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
            zero_rows &= bool(np.all(K[dead] == 0.0))  # a dead sample has an exactly zero row of K̄
            zero_lam += int(e.value <= e.floor)
    p = 2.0**-n1
    mean, expect = float(np.mean(counts)), N * p
    half = N * math.sqrt(math.log(4 / ntk_context.alpha) / (2 * T))  # Hoeffding at α/2, counts ∈ [0, N]
    lo, hi = clopper_pearson(first, T, ntk_context.alpha / 2)
    ok = abs(mean - expect) <= half and zero_lam == any_dead and zero_rows and lo <= p <= hi
    assert_control(ntk_context, "Thm 4.1", "layer narrower than log2 N", s, detected=ok,
                   hypothesis_violated="no wide layer / n_1 < log2 N (ξ_k = 0 for all k)",
                   measured={"sample1_dead": first, "trials": T, "cp_low": lo, "cp_high": hi, "predicted_p": p,
                             "mean_dead": mean, "predicted_mean_dead": expect, "hoeffding_halfwidth": half,
                             "freq_any_dead": any_dead / T, "bonferroni_upper": min(1.0, N * p),
                             "independent_samples_approx": 1 - (1 - p) ** N, "lambda_zero_when_dead": zero_lam},
                   reason=f"sample 1 dead in {first}/{T} trials, exact CP [{lo:.3f}, {hi:.3f}] ∋ 2^(−n_1) = {p:.3f}; mean "
                          f"dead samples {mean:.3f} vs predicted N·2^(−n_1) = {expect:.3f} (±{half:.3f}); λ_min(K̄) = 0 "
                          f"exactly in {zero_lam}/{any_dead} trials with a dead sample",
                   power={"alternative": "a death rate outside the exact interval / a dead sample with λ_min > 0",
                          "detectable": float(hi - lo), "reached": True})


def _ratio_to_data_term(ctx, s, trials, key):
    """Per-draw λ_min(K̄) / (named data term before THM41_LOWER) — Θ(1) when no ξ_k = 1."""
    out = []
    for g in trial_rngs(ctx.session_seed, "Thm 4.1", key, s, trials):
        d = sec4.layer_terms_draw(s, g)
        out.append(d["lam"] / d["data_named"])
    return np.array(out)


def test_no_wide_layer_falls_to_the_data_term(ntk_context):
    """He, N = 4, d = 161: with every hidden width 48 (< the wide threshold 59, so every ξ_k = 0) the named lower bound
    is the data term alone and λ_min(K̄) is of its order; inserting one wide layer (n_2 = 8000, ξ_2 = 1, in the
    regime) lifts λ_min/data term above twice its no-wide value (upper end of the exact median interval) — the
    wide layer's term is what the theorem adds. The control fails if the wide layer changes nothing."""
    z = sec4.regime_sizes(4, 3, 2, 4, 1e-4)
    base = {"law": {"name": "gaussian"}, "N": 4, "d": z["d"], "betas": "he", "r": 4, "delta": 1e-4, "k": 2}
    narrow = {**base, "widths": [z["d"], 48, 48, 1]}
    wide = {**base, "widths": [z["d"], 48, 8000, 1]}
    assert not any(sec4.xi(narrow, k) for k in (1, 2)) and sec4.xi(wide, 2) == 1 and sec4.in_regime(wide), (narrow, wide)
    rn = _ratio_to_data_term(ntk_context, narrow, 40, "control-nowide")
    rw = _ratio_to_data_term(ntk_context, wide, 40, "control-wide")
    a = ntk_context.alpha / 2
    ln, hn = median_interval(rn, a)
    lw, hw = median_interval(rw, a)
    detected = bool(2.0 * hn < lw)
    assert_control(ntk_context, "Thm 4.1", "no wide layer: λ_min falls to the data term", {"narrow": narrow, "wide": wide},
                   detected=detected, hypothesis_violated="no layer with n_k = Ω(N log N log(N/δ)) (every ξ_k = 0)",
                   measured={"ratio_no_wide_median": float(np.median(rn)), "ratio_no_wide_interval": [ln, hn],
                             "ratio_wide_median": float(np.median(rw)), "ratio_wide_interval": [lw, hw]},
                   reason=f"λ_min/data term: no wide layer median {np.median(rn):.3g} (exact interval [{ln:.3g}, {hn:.3g}]), "
                          f"with the wide layer {np.median(rw):.3g} ([{lw:.3g}, {hw:.3g}])",
                   power={"alternative": "the wide layer lifts λ_min/data term by less than ×2",
                          "detectable": float(hn / max(ln, 1e-300)), "reached": detected})


def test_no_wide_layer_rank_bound(ntk_context):
    """``rank K̄ ≤ P``: λ_min(K̄) = 0 within the rounding bound whenever the parameter count P < N (exact linear
    algebra on every draw); λ_min against P for larger P is reported with it."""
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
    record_exact(ntk_context, "Thm 4.1", "rank K̄ ≤ P (no wide layer)", {"N": N, "d": d, "widths": "[d, w, w, 1]", "w": ws},
                 holds=bool(ok), measured={"x": P, "y": lam, "xlabel": "parameter count P", "ylabel": "λ_min(K̄)"},
                 reason="λ_min(K̄) = 0 (within rounding) whenever P < N (rank K̄ ≤ P); larger P reported only")
    assert ok


def test_repeated_points(ntk_context):
    """Two equal rows: λ_min(K̄) = 0 within the rounding bound in each of 5 draws."""
    s = {"N": 12, "d": 64, "widths": [64, 200, 64, 1]}
    zeros, last = [], None
    for g in trial_rngs(ntk_context.session_seed, "Thm 4.1", "control-repeated", s, 5):
        X = law_from_spec({"name": "repeated"}).sample(12, 64, g)
        W = ntk.init_weights(s["widths"], "he", g)
        e = ntk.lambda_min(ntk.empirical_ntk(X, W))
        tol = e.floor + 12 * sec4.abs_ntk_bound(X, W)
        zeros.append(bool(abs(e.value) <= tol))
        last = (e.value, tol)
    assert_control(ntk_context, "Thm 4.1", "repeated points", s, detected=all(zeros),
                   hypothesis_violated="i.i.d. continuous data", measured={"lambda_min": last[0], "tol": last[1]},
                   reason=f"two equal rows ⇒ λ_min(K̄) = 0 within the rounding bound in {sum(zeros)}/5 draws")


def test_low_dimensional_data(ntk_context):
    """Data in a fixed 2-dimensional subspace (E‖x‖² = d; A2.2 and full dimension violated): λ_min(XXᵀ) = 0 exactly
    (rank 2 < N) and λ_min(K̄) collapses — its median is more than ×10 below the median for Gaussian data of the same
    scale and architecture (exact median intervals, 60 draws each). The control fails if it does not."""
    s = {"N": 12, "d": 64, "widths": [64, 400, 64, 1], "betas": "he", "r": 4, "delta": 0.01, "k": 1}
    vals = {}
    for name in ("gaussian", "lowdim"):
        sl = {**s, "law": {"name": name}}
        vals[name] = np.array([sec4.layer_terms_draw(sl, g)["lam"]
                               for g in trial_rngs(ntk_context.session_seed, "Thm 4.1", f"control-{name}", sl, 60)])
    a = ntk_context.alpha / 2
    lg, hg = median_interval(vals["gaussian"], a)
    ll, hl = median_interval(vals["lowdim"], a)
    detected = bool(10.0 * hl < lg)
    assert_control(ntk_context, "Thm 4.1", "low-dimensional data", s, detected=detected,
                   hypothesis_violated="A2.2 / full dimension (data in a 2-dim subspace)",
                   measured={"lambda_min_gaussian_median": float(np.median(vals["gaussian"])), "gaussian_interval": [lg, hg],
                             "lambda_min_lowdim_median": float(np.median(vals["lowdim"])), "lowdim_interval": [ll, hl]},
                   reason=f"median λ_min(K̄): Gaussian {np.median(vals['gaussian']):.4g} (exact interval [{lg:.4g}, {hg:.4g}]), "
                          f"2-dim subspace {np.median(vals['lowdim']):.4g} ([{ll:.4g}, {hl:.4g}])",
                   power={"alternative": "a collapse by less than ×10", "detectable": float(hl / max(ll, 1e-300)),
                          "reached": detected})
