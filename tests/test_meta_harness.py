"""Meta tests of the verification machinery itself (theorems/harness.py + theorems/stats.py).

The suite must be able to fail: a planted false statement is refuted, the real statement is never
refuted across many session seeds, a failure rate at the planned alternative is refuted as often as the
plan says, and a check short of power says "not refuted", never "verified".
Planted checks are attached to Thm 3.2 under names that start with "planted" and write no records.
"""

from __future__ import annotations

import pytest

from theorems import sec3
from theorems.harness import CHECKS, Check, Context, Outcome, run_check
from theorems.stats import Verdict

SCENARIO = {"law": {"name": "gaussian"}, "N": 8, "d": 1024, "L": 3, "r": 4}
ALPHA = 1e-10  # the suite's per-assertion rate (1e-6 / 10⁴)


def _planted(factor_lower: float = 1.0, factor_upper: float = 1.0):
    def trial(s, rng):
        e = sec3._lambda(s, rng)
        ok = e.value >= factor_lower * sec3.lower_bound(s) and e.value <= factor_upper * sec3.upper_bound(s)
        return Outcome(ok, implied=e.value / s["d"])
    return trial


@pytest.fixture
def planted(monkeypatch):
    def register(name, trial):
        monkeypatch.setitem(CHECKS, ("Thm 3.2", name), Check("Thm 3.2", name, trial, sec3.stated_probability))
        return name
    return register


def test_scenario_is_in_regime():
    assert sec3.THM_3_2.in_regime(SCENARIO)
    assert sec3.stated_probability(SCENARIO) > 0.99


@pytest.mark.parametrize("factor_lower,factor_upper", [(1e4, 1.0), (1.0, 0.1)])
def test_planted_false_statement_is_refuted(planted, factor_lower, factor_upper):
    """Lower bound × 10⁴ (at r = 4 the implied lower constants are ≈ 2·10³ here: the bound is loose by
    that much) or upper bound ÷ 10 (implied upper constants ≈ 0.5 > 0.125): false in essentially every
    draw, so the exact test must refute."""
    name = planted(f"planted ×{factor_lower}/×{factor_upper}", _planted(factor_lower, factor_upper))
    rec = run_check(Context(session_seed=1, alpha=ALPHA), "Thm 3.2", name, SCENARIO)
    assert rec.verdict == Verdict.REFUTED, rec.reason
    assert rec.p_value <= ALPHA


@pytest.mark.parametrize("seed", range(12))
def test_true_statement_is_never_refuted(seed):
    """The real check over 12 session seeds: never refuted (a false alarm has probability ≤ 12·alpha). At
    p ≈ 1 − 4·10⁻⁵ the 250 affordable trials cannot detect 10×(1 − p): the label is "not refuted", never
    "verified", and the record says what it could detect."""
    rec = run_check(Context(session_seed=seed, alpha=ALPHA), "Thm 3.2", "asymptotic-bounds", SCENARIO)
    assert rec.verdict == Verdict.NOT_REFUTED, rec.reason
    assert rec.power["reached"] is False and rec.power["detectable"] > rec.power["target"]


def test_too_few_trials_is_not_verified():
    """Five successes out of five cannot show a 0.99-probability claim at alpha = 1e-10."""
    rec = run_check(Context(session_seed=3, alpha=ALPHA), "Thm 3.2", "asymptotic-bounds", SCENARIO, trials=5)
    assert rec.successes == 5
    assert rec.verdict == Verdict.NOT_REFUTED, rec.reason


def test_power_is_what_the_plan_says(planted):
    """The plan's power, measured: a planted event that fails at exactly the alternative rate 10×(1 − p)
    (claimed p = 0.99, true failure rate 0.1) is refuted in ≥ 90% of runs. Over 40 session seeds the count
    of refutations is Bin(40, ≥ 0.9); fewer than 28 has probability < 1e-6."""
    name = planted("planted 10x failure", lambda s, rng: Outcome(bool(rng.random() >= 0.1)))
    CHECKS[("Thm 3.2", name)] = Check("Thm 3.2", name, CHECKS[("Thm 3.2", name)].trial, lambda s: 0.99)
    recs = [run_check(Context(session_seed=seed, alpha=ALPHA), "Thm 3.2", name, SCENARIO) for seed in range(40)]
    assert all(r.power["reached"] for r in recs)
    assert sum(r.verdict == Verdict.REFUTED for r in recs) >= 28


def test_a_claim_true_at_its_rate_is_verified(planted):
    """An event holding with probability exactly 0.995 claimed at 0.99: the power is reached, so the verdict
    is "verified" in most runs and "refuted" in none of 20 (each false alarm ≤ alpha)."""
    name = planted("planted true 0.995", lambda s, rng: Outcome(bool(rng.random() >= 0.005)))
    CHECKS[("Thm 3.2", name)] = Check("Thm 3.2", name, CHECKS[("Thm 3.2", name)].trial, lambda s: 0.99)
    verdicts = [run_check(Context(session_seed=seed, alpha=ALPHA), "Thm 3.2", name, SCENARIO).verdict for seed in range(20)]
    assert Verdict.REFUTED not in verdicts and verdicts.count(Verdict.VERIFIED) == 20


def test_coin_with_probability_below_the_claim_is_refuted(planted):
    """A planted event of probability 1/2 claimed at the statement's probability (> 0.99): refuted."""
    name = planted("planted coin", lambda s, rng: Outcome(bool(rng.random() < 0.5)))
    rec = run_check(Context(session_seed=5, alpha=ALPHA), "Thm 3.2", name, SCENARIO)
    assert rec.verdict == Verdict.REFUTED


def test_replay_reproduces_the_record():
    """Same scenario, seed and alpha give the same record (verdict, successes, worst case)."""
    ctx = Context(session_seed=7, alpha=ALPHA)
    a = run_check(ctx, "Thm 3.2", "asymptotic-bounds", SCENARIO)
    b = run_check(ctx, "Thm 3.2", "asymptotic-bounds", SCENARIO)
    assert (a.verdict, a.successes, a.trials, a.record_id) == (b.verdict, b.successes, b.trials, b.record_id)
    assert a.worst_case == b.worst_case
