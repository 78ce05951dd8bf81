"""Lemma 6.1 — ‖g_k‖_Lip is the maximum pattern-Jacobian norm over inputs with no zero pre-activation
(THEOREMS.md §3, Lemma 6.1; theorems/sec6.py: lemma61_evidence).

Exact (almost-sure) statement, checked on random small networks (d ≤ 3) where the maximum over strict
regions is enumerated exactly (ntk.regions). Independent evidence: difference quotients of g_k over many
sampled pairs never exceed it (tolerance: sec6.pair_tolerance, derived from the forward-pass rounding), and
it is attained — at the maximising region's LP witness (no zero pre-activation, Jacobian norm equal, finite
difference equal). When no input has a ±1 pattern (positive probability for narrow layers: every region
passes a dead layer) g_k ≡ 0 and the lemma holds with sup ∅ = 0 (convention recorded as ``empty_set``; see
theorems/sec6.py). Negative control: a zero column in W_1 (measure zero) empties the maximised set while
‖g_k‖_Lip > 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ntk
from theorems import sec6
from theorems.harness import record_exact

from .helpers import examples


@st.composite
def lemma_scenarios(draw):
    d = draw(st.integers(1, 3))
    L = draw(st.integers(2, 4))
    wmax = 6 if d < 3 else 4
    widths = [d] + [draw(st.integers(1, wmax)) for _ in range(L - 1)] + [draw(st.integers(1, 3))]
    k = draw(st.integers(1, L))
    return {"widths": widths, "k": k, "betas": draw(st.sampled_from(["standard", "he"])), "seed": draw(st.integers(0, 2**32 - 1))}


@given(s=lemma_scenarios())
@settings(max_examples=examples(12, 30, 300))
def test_lemma_6_1_exact(ntk_context, s):
    """Enumerated max over strict regions = exact Lipschitz constant ≥ every sampled difference quotient,
    and it is attained at an interior point of the maximising region."""
    assert sec6.LEM_6_1.in_regime(s)
    rng = np.random.default_rng(s["seed"])
    Ws = ntk.init_weights(s["widths"], s["betas"], rng)
    ev = sec6.lemma61_evidence(Ws, s["k"], rng, pairs=2000)
    holds = ev["quotients_below"] and ev["attained"] and ev["lemma_equality"]
    record_exact(ntk_context, "Lemma 6.1", "max over strict regions = Lipschitz constant", s, holds=holds,
                 slack=-ev["max_excess"] / max(ev["exact"], 1e-300),
                 measured={k: v for k, v in ev.items() if v is not None},
                 reason=f"exact {ev['exact']:.6g} over {ev['regions']} regions ({ev['strict_regions']} strict); "
                        f"max quotient {ev['max_quotient']:.6g}; witness ‖J‖ {ev['witness_jac_norm']:.6g}, FD {ev['fd_quotient']:.6g}")
    assert ev["quotients_below"], ev
    assert ev["attained"], ev
    assert ev["lemma_equality"], ev


def test_control_degenerate_weights_is_detected(ntk_context):
    """A zero column of W_1 (probability 0 under Gaussian weights): the pre-activation of that neuron is 0 on
    all of R^d, so no input has a ±1 pattern — the right side of Lemma 6.1 is a max over the empty set — while
    ‖g_k‖_Lip > 0 (its difference quotients are positive). Shows that the a.s. hypothesis is needed."""
    s = {"widths": [2, 4, 4, 1], "k": 2, "betas": "standard", "degenerate": True}
    assert not sec6.LEM_6_1.in_regime(s)
    rng = np.random.default_rng(7)
    Ws = sec6.degenerate_weights(ntk.init_weights(s["widths"], "standard", rng))
    ev = sec6.lemma61_evidence(Ws, 2, rng, pairs=1000)
    detected = ev["strict_value"] is None and ev["max_quotient"] > 0 and ev["quotients_below"] and not ev["lemma_equality"]
    record_exact(ntk_context, "Lemma 6.1", "control: degenerate weights", s, holds=detected,
                 measured={"exact": ev["exact"], "max_quotient": ev["max_quotient"], "strict_regions": ev["strict_regions"],
                           "hypothesis_violated": "weights in general position (a.s.): W_1 has a zero column"},
                 reason="no strict region although ‖g_k‖_Lip > 0")
    assert detected, ev


@st.composite
def wide_planar_scenarios(draw):
    """d = 2 networks too wide for region enumeration (hidden widths 16–256, k ≤ 3): the circle sweep gives
    the exact right side by an independent algorithm."""
    L = draw(st.integers(2, 4))
    widths = [2] + [draw(st.sampled_from([16, 32, 64, 256])) for _ in range(L - 1)] + [1]
    k = draw(st.integers(2, min(L, 3)))
    return {"widths": widths, "k": k, "betas": draw(st.sampled_from(["standard", "he"])), "seed": draw(st.integers(0, 2**32 - 1))}


@given(s=wide_planar_scenarios())
@settings(max_examples=examples(3, 8, 100))
def test_lemma_6_1_wide_planar(ntk_context, s):
    """Wide d = 2 networks: the max over strict pieces (circle sweep) = the exact Lipschitz constant ≥ every
    sampled difference quotient, attained at the certified argmax (FD along its top singular vector)."""
    assert sec6.LEM_6_1.in_regime(s)
    rng = np.random.default_rng(s["seed"])
    Ws = ntk.init_weights(s["widths"], s["betas"], rng)
    ev = sec6.lemma61_planar_evidence(Ws, s["k"], rng, pairs=2000)
    holds = ev["quotients_below"] and ev["attained"] and ev["lemma_equality"]
    record_exact(ntk_context, "Lemma 6.1", "max over strict regions = Lipschitz constant (d = 2, wide)", s, holds=holds,
                 slack=-ev["max_excess"] / max(ev["exact"], 1e-300), measured={k: v for k, v in ev.items() if v is not None},
                 reason=f"sweep {ev['exact']:.6g} over {ev['pieces']} pieces; max quotient {ev['max_quotient']:.6g}; "
                        f"witness ‖J‖ {ev['witness_jac_norm']:.6g}, FD {ev['fd_quotient']:.6g}")
    assert ev["quotients_below"] and ev["attained"] and ev["lemma_equality"], ev


PLANTED_NETS = [([2, 5, 4, 1], 2), ([3, 4, 4, 4, 1], 3), ([2, 64, 16, 1], 2), ([2, 32, 8, 32, 1], 3)]


@pytest.mark.parametrize("variant", ["one region", "all active", "naive"])
def test_planted_lemma_6_1_variants_are_refuted(ntk_context, variant):
    """False right sides of Lemma 6.1 — one generic region's Jacobian norm, the all-active chain, the naive
    product — are refuted by certified evidence (a sampled difference quotient above them, or the exact value
    below them) on at least one of four fixed networks (an exact statement: one counterexample refutes)."""
    from theorems.harness import _statement
    from theorems.records import CheckRecord

    hits, detail = 0, []
    for i, (widths, k) in enumerate(PLANTED_NETS):
        rng = np.random.default_rng(100 + i)
        Ws = ntk.init_weights(widths, "standard", rng)
        ev = (sec6.lemma61_planar_evidence(Ws, k, rng, pairs=2000) if widths[0] == 2 and sum(widths) > 12
              else sec6.lemma61_evidence(Ws, k, rng, pairs=2000))
        rhs = sec6.lemma61_planted_rhs(Ws, k, variant, rng)
        ref = sec6.lemma61_refutes(ev, rhs)
        hits += ref
        detail.append({"widths": widths, "k": k, "planted_rhs": rhs, "exact": ev["exact"],
                       "max_certified_quotient": ev["max_certified_quotient"], "refuted": ref})
    st_ = _statement("Lemma 6.1")
    rec = CheckRecord(statement_id=st_.id, check=f"max over strict regions = Lipschitz constant [planted: {variant}]",
                      paper_version=st_.paper_version, kind=st_.kind, scenario={"nets": [w for w, _ in PLANTED_NETS]},
                      session_seed=ntk_context.session_seed, verdict="refuted" if hits else "verified", trials=len(PLANTED_NETS),
                      successes=len(PLANTED_NETS) - hits, planted=variant, measured={"nets": detail},
                      reason=f"planted right side '{variant}' refuted on {hits}/{len(PLANTED_NETS)} networks",
                      test_id=ntk_context.test_id, replay=ntk_context.replay)
    if ntk_context.sink is not None:
        ntk_context.sink.write(rec)
    assert hits >= 1, detail
