"""Lemma 4.3 — norm of the back-propagated row ``‖Σ_{k+1}(x)(Π_{l=k+2}^{L−1} W_lΣ_l(x))W_L‖²`` (THEOREMS.md §3;
theorems/sec4.py). Asymptotic: the Θ-claim with the named bands LEM43_BAND_LO/HI around the exact mean
``2^{−(L−1−k)}·β_L² n_{k+1} Π n_lβ_l²`` at the stated probability ``1 − Σ_l e^{−C n_l} − e^{−C_DIM d}``, and the
spread of the implied constant (ratio/mean) across scenarios. (The exact one-step mean recursion is C.6's, tested
with Appendix C.)"""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from theorems import constants as C
from theorems import sec4
from theorems.harness import record_exact, run_check

from .helpers import assert_not_refuted, examples


@st.composite
def lemma43_scenarios(draw):
    L = draw(st.integers(3, 5))
    k = draw(st.integers(1, L - 2))
    widths = [draw(st.integers(96, 160))] + [draw(st.integers(56, 160)) for _ in range(L - 1)] + [1]
    preset = draw(st.sampled_from(["standard", "he", "lecun", "arbitrary"]))
    betas = [round(2.0 ** draw(st.floats(-2, 2)), 6) for _ in range(L)] if preset == "arbitrary" else preset
    law = draw(st.sampled_from(["gaussian", "sphere", "hypercube", "noncentered"]))
    return {"law": {"name": law}, "d": widths[0], "widths": widths, "betas": betas, "k": k}


@given(s=lemma43_scenarios())
@settings(max_examples=examples(4, 8, 80))
def test_lemma43_bands(ntk_context, s):
    """Θ with named bands at the stated probability (any β, any k ∈ [L−2])."""
    assert sec4.LEM_4_3.in_regime(s), s
    rec = run_check(ntk_context, "Lemma 4.3", "theta-bounds", s)
    assert_not_refuted(rec)


def test_lemma43_implied_constant_spread(ntk_context):
    """The implied constant ratio/mean concentrates at 1 (the exact mean) for wider layers: its median over
    trials lies in [LO^{L−k}, HI^{L−k}] (LEM43_BAND_LO/HI) for every (L, k) and width, and the relative
    5–95% spread is smaller at n = 256 than at n = 64 (concentration as the widths grow)."""
    lo_c, hi_c = C.value("LEM43_BAND_LO"), C.value("LEM43_BAND_HI")
    meds, spreads, labels, in_band = [], {}, [], []
    for L, k in ((3, 1), (4, 1), (4, 2), (5, 3)):
        for n in (64, 256):
            s = {"law": {"name": "gaussian"}, "d": 128, "widths": [128] + [n] * (L - 1) + [1], "betas": "he", "k": k}
            assert sec4.LEM_4_3.in_regime(s), s
            rec = run_check(ntk_context, "Lemma 4.3", "theta-bounds", s)
            assert_not_refuted(rec)
            ic = rec.implied_constants
            m = sec4.lemma43_mean_factor(L, k)
            med = ic["median"] / m
            meds.append(med)
            spreads[(L, k, n)] = (ic["q95"] - ic["q05"]) / ic["median"]
            in_band.append(lo_c ** (L - k) <= med <= hi_c ** (L - k))
            labels.append(f"L={L} k={k} n={n}")
    shrinks = all(spreads[(L, k, 256)] < spreads[(L, k, 64)] for (L, k, n) in spreads if n == 64)
    ok = all(in_band) and shrinks
    record_exact(ntk_context, "Lemma 4.3", "implied-constant spread", {"cases": labels}, holds=ok,
                 measured={"median_ratio_over_mean": meds, "relative_spread_5_95": [spreads[c] for c in spreads],
                           "in_band": in_band, "spread_shrinks_with_width": shrinks},
                 reason=f"medians of ratio/mean ∈ [{min(meds):.3f}, {max(meds):.3f}]; 5–95% spread shrinks from n = 64 "
                        f"to 256: {shrinks}")
    assert ok, (dict(zip(labels, meds)), spreads)
