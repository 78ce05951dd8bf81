"""Lemma 4.3 — norm of the back-propagated row ``‖Σ_{k+1}(x)(Π_{l=k+2}^{L−1} W_lΣ_l(x))W_L‖²`` (THEOREMS.md §3;
theorems/sec4.py). Asymptotic, checked with the named constants:

* the Θ-claim with the named bands LEM43_BAND_LO/HI around the exact mean ``2^{−(L−1−k)}·β_L² n_{k+1} Π n_lβ_l²`` at
  the stated probability ``1 − Σ_l e^{−C n_l} − e^{−C_DIM d}`` (the harness judges each draw against the statement's
  bounds; trials sized for power, cheap enough here to buy it wherever the stated probability is ≤ 0.99);
* the scaling law: at β = 1 the row norm has the statement's exponent in ``n_{k+1}``;
* regime paths: with all hidden widths grown (He), the implied constant ``‖row‖²/(2^{−(L−1−k)} scale)`` neither
  decays nor grows (exact slope intervals), and it stays within LEM43_SPREAD_FACTOR across (L, k);
* planted false variants, refuted in the ci profile: the lower band moved past its measured slack, the wrong
  exponent in ``n_{k+1}``, a stated probability too high (the ``e^{−Ω(n_l)}`` constant ×16 at a layer of width 4).

(The exact one-step mean recursion is C.6's, tested with Appendix C.)
"""

from __future__ import annotations

import os

import numpy as np
from hypothesis import given, settings, strategies as st

from generators.seeds import trial_rngs
from theorems import constants as C
from theorems import sec4
from theorems.harness import run_check
from theorems.variants import plant, scaled

from .helpers import assert_not_refuted, assert_path, assert_planted_refuted, assert_scaling, assert_spread, examples

PROFILE = os.environ.get("NTK_PROFILE", "dev")
#: trials are cheap (one input, widths ≤ 160): buy power up to a stated probability of ≈ 0.997 (thorough: 0.999)
MAX_TRIALS = {"dev": 1000, "ci": 1000, "thorough": 2500}[PROFILE]
MAX_WIDTH = {"dev": 80, "ci": 80, "thorough": 160}[PROFILE]


@st.composite
def lemma43_scenarios(draw):
    L = draw(st.integers(3, 5))
    k = draw(st.integers(1, L - 2))
    widths = [draw(st.integers(80, 140))] + [draw(st.integers(40, MAX_WIDTH)) for _ in range(L - 1)] + [1]
    preset = draw(st.sampled_from(["standard", "he", "lecun", "arbitrary"]))
    betas = [round(2.0 ** draw(st.floats(-2, 2)), 6) for _ in range(L)] if preset == "arbitrary" else preset
    law = draw(st.sampled_from(["gaussian", "sphere", "hypercube", "noncentered"]))
    return {"law": {"name": law}, "d": widths[0], "widths": widths, "betas": betas, "k": k}


@given(s=lemma43_scenarios())
@settings(max_examples=examples(4, 8, 80))
def test_lemma43_bands(ntk_context, s):
    """Θ with named bands at the stated probability (any β, any k ∈ [L−2]), judged by the harness."""
    if not sec4.LEM_4_3.in_regime(s):
        return  # d near 80 with several narrow layers can fall below THM41_REGIME_P: not in the lemma's regime
    rec = run_check(ntk_context, "Lemma 4.3", "theta-bounds", s, max_trials=MAX_TRIALS)
    assert_not_refuted(rec)


def _draws(ctx, scenarios, trials, key, field="quantity"):
    return np.array([[sec4.lemma43_trial(s, g).measured[field] for g in trial_rngs(ctx.session_seed, "Lemma 4.3", key, s, trials)]
                     for s in scenarios])


NEXT_WIDTHS = [256, 512, 1024, 2048, 4096]


def test_lemma43_scaling_in_the_next_width(ntk_context):
    """β = 1, L = 3, k = 1 (widths [128, 64, n_2, 1]): ``‖row‖² = Θ(β_L² n_{k+1})`` — the statement's exponent in
    ``n_{k+1}`` (16 trials per level, exact interval). Planted: exponents 2 and 0 are refuted on the same draws."""
    sc = [{"law": {"name": "gaussian"}, "d": 128, "widths": [128, 64, n, 1], "betas": "standard", "k": 1} for n in NEXT_WIDTHS]
    assert all(sec4.LEM_4_3.in_regime(s) for s in sc)
    q = _draws(ntk_context, sc, 16, "scaling-next")
    scen = {"widths": "[128, 64, n_2, 1]", "betas": "standard", "k": 1, "n_{k+1}": NEXT_WIDTHS}
    assert_scaling(ntk_context, "Lemma 4.3", "scaling-n_{k+1}", scen, NEXT_WIDTHS, q, variable="n_{k+1}",
                   xlabel="n_{k+1}", ylabel="‖(B_{k+1})(x)‖²")
    for e in (2.0, 0.0):
        assert_planted_refuted(assert_scaling(ntk_context, "Lemma 4.3", "scaling-n_{k+1}", scen, NEXT_WIDTHS, q,
                                              variable="n_{k+1}", xlabel="n_{k+1}", ylabel="‖(B_{k+1})(x)‖²",
                                              variant=plant("Lemma 4.3", f"exponent {e:g} in n_{{k+1}}",
                                                            exponents={"n_{k+1}": e})))


def test_lemma43_regime_path(ntk_context):
    """He, L = 3, k = 1, the row's layer n_{k+1} grown along the path (widths [128, 64, n, 1]): the implied constant
    ‖row‖²/(2^{−(L−1−k)}·scale) must not decay (Ω) nor grow (O) — exact slope intervals of its log against log n
    (16 trials per level)."""
    sc = [{"law": {"name": "gaussian"}, "d": 128, "widths": [128, 64, n, 1], "betas": "he", "k": 1} for n in NEXT_WIDTHS]
    assert all(sec4.LEM_4_3.in_regime(s) for s in sc)
    implied = _draws(ntk_context, sc, 16, "path", field="ratio_over_mean")
    scen = {"widths": "[128, 64, n, 1]", "betas": "he", "k": 1, "n": NEXT_WIDTHS}
    assert_path(ntk_context, "Lemma 4.3", "lower implied constant along n_{k+1}", scen, NEXT_WIDTHS, implied, side="lower",
                xlabel="n_{k+1}")
    assert_path(ntk_context, "Lemma 4.3", "upper implied constant along n_{k+1}", scen, NEXT_WIDTHS, implied, side="upper",
                xlabel="n_{k+1}")


def test_lemma43_implied_constant_spread(ntk_context):
    """The implied constant ‖row‖²/(2^{−(L−1−k)}·scale) — 1 in mean for every (L, k) — stays within
    LEM43_SPREAD_FACTOR across (L, k) ∈ {(3,1), (4,1), (4,2), (5,3)} at width 256, He (60 draws each, exact median
    intervals)."""
    groups, labels = [], []
    for L, k in ((3, 1), (4, 1), (4, 2), (5, 3)):
        s = {"law": {"name": "gaussian"}, "d": 128, "widths": [128] + [256] * (L - 1) + [1], "betas": "he", "k": k}
        assert sec4.LEM_4_3.in_regime(s), s
        groups.append(_draws(ntk_context, [s], 60, "spread", field="ratio_over_mean")[0])
        labels.append(f"L={L} k={k}")
    assert_spread(ntk_context, "Lemma 4.3", "implied-constant spread across (L, k)", {"cases": labels, "width": 256},
                  groups, limit=C.value("LEM43_SPREAD_FACTOR"), labels=labels)


def test_planted_lower_band_past_its_slack_is_refuted(ntk_context):
    """The lower band ×F, F = 1.5 × the measured median slack (median ‖row‖²/lower band over 40 independent draws):
    false in most draws; the check must refute it."""
    s = {"law": {"name": "gaussian"}, "d": 128, "widths": [128, 64, 64, 64, 1], "betas": "he", "k": 1}
    assert sec4.LEM_4_3.in_regime(s)
    q = _draws(ntk_context, [s], 40, "slack")[0]
    slack = float(np.median(q) / sec4.lemma43_band(s, "lower"))
    v = scaled("Lemma 4.3", "lower", 1.5 * slack, label=f"lower band ×{1.5 * slack:.3g} (1.5 × median slack {slack:.3g})")
    assert_planted_refuted(run_check(ntk_context, "Lemma 4.3", "theta-bounds", s, variant=v, max_trials=MAX_TRIALS))


def test_planted_probability_too_high_is_refuted(ntk_context):
    """With a hidden layer of width 4 after the row's layer, ‖row‖² is a sum over ≈ 2 active units (0 with
    probability 1/16) and leaves the band in about a third of the draws; the stated probability is then ≈ 0.39. The
    planted claim with the ``e^{−Ω(n_l)}`` constant 2 (×16), ≈ 0.996, must be refuted."""
    s = {"law": {"name": "gaussian"}, "d": 128, "widths": [128, 64, 4, 1], "betas": "he", "k": 1}
    assert sec4.probability_lemma43(s) < 0.5
    v = plant("Lemma 4.3", "e^{−Ω(n_l)} constant 2 (×16)", probability=lambda s: sec4.probability_upper(s, c_width=2.0))
    assert v.probability(s) > 0.99
    assert_planted_refuted(run_check(ntk_context, "Lemma 4.3", "theta-bounds", s, variant=v, max_trials=MAX_TRIALS))
