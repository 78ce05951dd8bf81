"""Cor 4.2 — memorisation with one wide layer, checked constructively (THEOREMS.md §3; theorems/sec4.py).

The proof's construction, executed: draw ``θ_0`` (check ``rank J(θ_0) = N`` and no zero pre-activation on the
data — the event whose probability the corollary states, checked at that probability), solve ``J(θ_0)θ' = Y``
(least norm, ``scipy.linalg.lstsq``), build the ReLU network of the same depth with twice the hidden widths
(:func:`theorems.sec4.difference_network`: blocks ``[W_l(θ_0+εθ'), W_l(θ_0)]``, output ``[W_L(θ_0+εθ'); −W_L(θ_0)]/ε``)
and check (i) EXACTLY that it computes ``h_ε = (f_L(θ_0+εθ') − f_L(θ_0))/ε`` (to a derived rounding bound) and
(ii) that ``‖h_ε(X) − Y‖`` decays linearly in ε for arbitrary real labels.

Why linear, and where it stops: inside one activation region ``f_L`` is a polynomial of degree ``L`` in θ, so
``h_ε(X) = Jθ' + ε·(second-order terms) + …`` and ``‖h_ε(X) − Y‖ = Θ(ε)`` (``Jθ' = Y`` exactly up to the lstsq
residual). This holds only while no activation pattern on X changes (the exact-arithmetic caveat): the ε at which
a pattern first changes is recorded, and the slope is fitted on ε below half of it. For small ε the cancellation
in ``(f_L(θ_0+εθ') − f_L(θ_0))/ε`` (rounding ≈ L·eps·max|f|_abs/ε) dominates and the error grows again as 1/ε —
with small labels (small θ', so a small ε-coefficient) this happens already near ε ≈ 1e-4. The grid is
[1e-6, 1e-1]; the fit keeps the ε where the predicted linear error exceeds 30× the rounding estimate
(:meth:`theorems.sec4.Memorization.fit_range`) and at least 3 points must remain; when a pattern changes early
(small pre-activations) the window is re-gridded with 7 points between the rounding limit and half the
pattern-change ε, and it must span at least a decade.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from generators.lookup import law_from_spec
import ntk
from theorems import constants as C
from theorems import sec4
from theorems.harness import record_exact, run_check
from theorems.stats import fit_power_law

from .helpers import assert_not_refuted, examples

WINDOW = C.value("SCALING_EXPONENT_WINDOW")
EPS_GRID = np.logspace(-6, -1, 11)


def cor42_scenario(N, L, k, law="gaussian", betas="he", delta=0.01):
    z = sec4.regime_sizes(N, L, k, 4, delta)
    widths = [z["d"]] + [z["n_wide"] if l == k else (z["n_before"] if l < k else z["n_min"]) for l in range(1, L)] + [1]
    return {"law": {"name": law}, "N": N, "d": widths[0], "widths": widths, "betas": betas, "delta": delta, "k": k}


@st.composite
def cases(draw):
    L = draw(st.integers(2, 3))
    k = draw(st.integers(1, L - 1))
    s = cor42_scenario(draw(st.sampled_from([4, 6])), L, k, draw(st.sampled_from(["gaussian", "sphere", "noncentered"])),
                       draw(st.sampled_from(["standard", "he", "lecun"])))
    return s, 10.0 ** draw(st.integers(-2, 3)), draw(st.integers(0, 2**32 - 1))


@given(case=cases())
@settings(max_examples=examples(3, 8, 60))
def test_construction_memorizes_linearly(ntk_context, case):
    s, yscale, seed = case
    assert sec4.COR_4_2.in_regime(s), s
    rng = np.random.default_rng(seed)
    X = law_from_spec(s["law"]).sample(s["N"], s["d"], rng)
    W = ntk.init_weights(s["widths"], sec4.betas_of(s), rng)
    Y = yscale * rng.standard_normal(s["N"])  # arbitrary real labels
    m = sec4.memorize(X, Y, W, EPS_GRID)
    scen = {**s, "label_scale": yscale, "seed": seed}
    exact = all(e <= t for e, t in zip(m.construction_error, m.construction_tol))
    record_exact(ntk_context, "Cor 4.2", "construction computes h_ε exactly", scen, holds=exact,
                 measured={"max_dev": max(m.construction_error), "tol": min(m.construction_tol)},
                 reason="doubled network output = (f_L(θ_0+εθ') − f_L(θ_0))/ε within the rounding bound")
    assert exact, m
    assert m.rank == s["N"] and m.min_abs_preactivation > 0, m
    use = m.fit_range()
    if len(use) < 3:  # narrow linear window (early pattern change): place 7 points inside it and redo
        top = [i for i, e in enumerate(m.eps) if e <= m.eps_pattern_change / 2]
        a = m.errors[top[-1]] / m.eps[top[-1]]
        lo, hi = np.sqrt(30 * m.round_scale / a), min(m.eps_pattern_change / 2, 1.0)
        assert hi > 10 * lo, ("linear regime narrower than a decade in float64", lo, hi, m)
        m = sec4.memorize(X, Y, W, np.logspace(np.log10(lo), np.log10(hi), 7))
        use = m.fit_range()
    assert len(use) >= 3, ("linear regime not resolvable in float64", m)
    fit = fit_power_law([m.eps[i] for i in use], [m.errors[i] for i in use])
    ok = abs(fit.exponent - 1) <= WINDOW
    record_exact(ntk_context, "Cor 4.2", "linear convergence h_ε → Y", scen, holds=ok, slack=WINDOW - abs(fit.exponent - 1),
                 measured={"exponent": fit.exponent, "ci_low": fit.ci_low, "ci_high": fit.ci_high,
                           "x": list(m.eps), "y": list(m.errors), "xlabel": "ε", "ylabel": "‖h_ε(X) − Y‖",
                           "eps_pattern_change": m.eps_pattern_change, "lstsq_residual": m.residual_lstsq,
                           "rank_J": m.rank, "norm_Y": float(np.linalg.norm(Y))},
                 reason=f"slope {fit.exponent:.4f} over ε ∈ [{m.eps[use[0]]:.1e}, {m.eps[use[-1]]:.1e}]; first pattern change at ε ≈ {m.eps_pattern_change:.2e}")
    assert ok, (fit, m)


def test_premise_rank_and_no_zero_preactivation(ntk_context):
    """The event of the corollary (rank J(θ_0) = N, no zero pre-activation) at its stated probability,
    wide layer first and last hidden."""
    for L, k in ((2, 1), (3, 2)):
        s = cor42_scenario(6, L, k)
        assert sec4.COR_4_2.in_regime(s), s
        assert_not_refuted(run_check(ntk_context, "Cor 4.2", "rank-J", s))
