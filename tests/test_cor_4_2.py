"""Cor 4.2 — memorisation with one wide layer, checked constructively (THEOREMS.md §3; theorems/sec4.py).

The proof's construction, executed: draw ``θ_0`` (check ``rank J(θ_0) = N`` and no zero pre-activation on the
data — the event whose probability the corollary states, checked at that probability), solve ``J(θ_0)θ' = Y``
(least norm, ``scipy.linalg.lstsq``), build the ReLU network of the same depth with twice the hidden widths
(:func:`theorems.sec4.difference_network`: blocks ``[W_l(θ_0+εθ'), W_l(θ_0)]``, output ``[W_L(θ_0+εθ'); −W_L(θ_0)]/ε``)
and check (i) EXACTLY that it computes ``h_ε = (f_L(θ_0+εθ') − f_L(θ_0))/ε`` (to a derived rounding bound) and
(ii) that ``‖h_ε(X) − Y‖`` decays linearly in ε for arbitrary real labels.

Why linear, and where it stops: inside one activation region ``f_L`` is a polynomial of degree ``L`` in θ, so
``h_ε(X) − Y = (Jθ' − Y) + Σ_{j≥2} c_j ε^{j−1}`` EXACTLY while no activation pattern on X changes (the
exact-arithmetic caveat; the ε of the first change is recorded). Difference quotients in float64 cannot show this
rate reliably (their rounding grows like 1/ε, and nearly linear networks have a tiny ε-coefficient), so the test
computes the coefficients ``c_j`` without cancellation (:func:`theorems.sec4.output_polynomial`) and checks
(a) ``c_1 = Jθ' = Y`` up to the least-squares residual, (b) the float64 doubled network's error equals the
polynomial's at every grid ε below half the first pattern change, within the derived rounding bound, and
(c) the log-log slope of ``‖Σ_{j≥2} c_j ε^{j−1}‖`` below the first pattern change is 1.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from generators.lookup import law_from_spec
from generators.seeds import trial_rngs
import ntk
from theorems import constants as C
from theorems import sec4
from theorems.harness import record_exact, run_check
from theorems.stats import fit_power_law

from theorems.variants import plant

from .helpers import assert_not_refuted, assert_planted_refuted, examples

WINDOW = C.value("SCALING_EXPONENT_WINDOW")
EPS_GRID = np.logspace(-6, -1, 11)


def cor42_scenario(N, L, k, law="gaussian", betas="he", delta=0.01):
    z = sec4.regime_sizes(N, L, k, 4, delta)
    widths = [z["d"]] + [z["n_wide"] if l == k else (z["n_before"] if l < k else z["n_min"]) for l in range(1, L)] + [1]
    return {"law": {"name": law}, "N": N, "d": widths[0], "widths": widths, "betas": betas, "delta": delta, "k": k}


@st.composite
def cases(draw):
    """Deterministic choices only: architecture, law, β preset, label scale. The data, θ_0 and the labels are
    drawn inside the test from a seed derived from this scenario and the session seed."""
    L = draw(st.integers(2, 3))
    k = draw(st.integers(1, L - 1))
    s = cor42_scenario(draw(st.sampled_from([4, 6])), L, k, draw(st.sampled_from(["gaussian", "sphere", "noncentered"])),
                       draw(st.sampled_from(["standard", "he", "lecun"])))
    return s, 10.0 ** draw(st.integers(-2, 3))


@given(case=cases())
@settings(max_examples=examples(3, 8, 60))
def test_construction_memorizes_linearly(ntk_context, case):
    s, yscale = case
    assert sec4.COR_4_2.in_regime(s), s
    scen = {**s, "label_scale": yscale}
    rng = trial_rngs(ntk_context.session_seed, "Cor 4.2", "memorize", scen, 1)[0]
    X = law_from_spec(s["law"]).sample(s["N"], s["d"], rng)
    W = ntk.init_weights(s["widths"], sec4.betas_of(s), rng)
    Y = yscale * rng.standard_normal(s["N"])  # arbitrary real labels
    m = sec4.memorize(X, Y, W, EPS_GRID)
    exact = all(e <= t for e, t in zip(m.construction_error, m.construction_tol))
    record_exact(ntk_context, "Cor 4.2", "construction computes h_ε exactly", scen, holds=exact,
                 measured={"max_dev": max(m.construction_error), "tol": min(m.construction_tol)},
                 reason="doubled network output = (f_L(θ_0+εθ') − f_L(θ_0))/ε within the rounding bound")
    assert exact, m
    if not (m.rank == s["N"] and m.min_abs_preactivation > 0):
        # the corollary's premise (rank J(θ_0) = N, no zero pre-activation) holds only w.h.p.; its probability
        # is checked at the stated level by test_premise_rank_and_no_zero_preactivation — here it just does not apply
        return
    # The rate, without the float64 window problem of difference quotients: below the first pattern change
    # h_ε(X) − Y = (c_1 − Y) + Σ_{j≥2} c_j ε^{j−1} exactly (sec4.output_polynomial), with c_1 = J θ'.
    direction, res = sec4.least_norm_direction(X, Y, W)
    c = sec4.output_polynomial(X, W, direction)
    # (i) memorization in the limit: c_1 = Y up to the least-squares residual and the rounding of the
    #     L-layer products (γ = (L+1)·n_max·eps times the absolute-value network, as in memorize)
    L = len(W)
    gamma = 2 * (L + 1) * max(s["widths"]) * np.finfo(float).eps
    absY = np.abs(c[1]).max() + np.abs(Y).max()
    assert np.linalg.norm(c[1] - Y) <= res + gamma * absY * np.sqrt(s["N"]), (c[1], Y, res)
    # (ii) the network follows the polynomial: at every grid ε below half the first pattern change, the float64
    #      error of the doubled network equals the polynomial's within the rounding of the difference quotient
    below = [i for i, e in enumerate(m.eps) if e <= m.eps_pattern_change / 2]
    if not below:  # a pattern changes before the smallest grid ε (large labels, small pre-activations): regrid
        m = sec4.memorize(X, Y, W, (m.eps_pattern_change / 2) * np.logspace(-3, 0, 4))
        below = [i for i, e in enumerate(m.eps) if e <= m.eps_pattern_change / 2]
    assert below, m
    poly_err = [float(np.linalg.norm((c[1] - Y) + sum(c[j] * m.eps[i] ** (j - 1) for j in range(2, L + 1)))) for i in below]
    for i, pe in zip(below, poly_err):
        assert abs(m.errors[i] - pe) <= 4 * np.sqrt(s["N"]) * m.construction_tol[i] + 1e-12 * pe, (m.eps[i], m.errors[i], pe)
    # (iii) the rate: ‖Σ_{j≥2} c_j ε^{j−1}‖ over ε ∈ e_max·[1e-6, 1e-2] (e_max below the first pattern change)
    e_max = min(m.eps_pattern_change / 2, 1.0)
    grid = e_max * np.logspace(-6, -2, 9)
    curve = [float(np.linalg.norm(sum(c[j] * e ** (j - 1) for j in range(2, L + 1)))) for e in grid]
    fit = fit_power_law(grid, curve)
    ok = abs(fit.exponent - 1) <= WINDOW
    record_exact(ntk_context, "Cor 4.2", "linear convergence h_ε → Y", scen, holds=ok, slack=WINDOW - abs(fit.exponent - 1),
                 measured={"exponent": fit.exponent, "ci_low": fit.ci_low, "ci_high": fit.ci_high,
                           "x": [float(e) for e in grid], "y": curve, "xlabel": "ε", "ylabel": "‖h_ε(X) − Y‖ − residual",
                           "rate_constant": float(np.linalg.norm(c[2])), "eps_pattern_change": m.eps_pattern_change,
                           "lstsq_residual": res, "rank_J": m.rank, "norm_Y": float(np.linalg.norm(Y))},
                 reason=f"exact polynomial: ‖h_ε(X) − Y‖ = residual + {np.linalg.norm(c[2]):.3g}·ε + O(ε²) below the first "
                        f"pattern change (ε ≈ {m.eps_pattern_change:.2e}); slope {fit.exponent:.4f}; float64 network "
                        f"matches the polynomial on {len(below)} grid points")
    assert ok, (fit, m)


def test_premise_rank_and_no_zero_preactivation(ntk_context):
    """The event of the corollary (rank J(θ_0) = N, no zero pre-activation) at its stated probability, wide layer
    first and last hidden; trials sized by run_check for power against a failure rate 10×(1 − p)."""
    for L, k in ((2, 1), (3, 2)):
        s = cor42_scenario(6, L, k)
        assert sec4.COR_4_2.in_regime(s), s
        assert_not_refuted(run_check(ntk_context, "Cor 4.2", "rank-J", s))


def test_planted_probability_too_high_is_refuted(ntk_context):
    """A hidden layer of width 3 after the wide one kills a sample with probability 1/8 (its row of J is then 0 and
    rank J < N), so the premise fails in ≈ 1 − (7/8)^N of the draws and the corollary's own probability is vacuous
    there. The planted probability with the ``e^{−Ω(n_l)}`` constant 2 (×16) claims ≈ 0.97; the check must refute it."""
    s = cor42_scenario(6, 3, 1)
    s = {**s, "widths": s["widths"][:2] + [3, 1]}
    assert sec4.probability_cor42(s) < 0, s
    v = plant("Cor 4.2", "e^{−Ω(n_l)} constant 2 (×16)", probability=lambda s: sec4.probability_cor42(s, c_width=2.0))
    assert v.probability(s) > 0.95
    assert_planted_refuted(run_check(ntk_context, "Cor 4.2", "rank-J", s, variant=v))
