"""Running a declared check: seeds → Monte Carlo trials → exact binomial verdict → result record.

A *check* is a named, pure trial function of ``(scenario, rng)`` attached to a statement, together
with the stated probability as a function of the scenario. Checks are registered by name
(``CHECKS[(statement_id, name)]``), so that a result record — which stores the statement id, the check
name, the scenario and the session seed — is enough to replay any trial exactly
(:func:`replay_trial`).

Randomness (DESIGN.md "Probabilistic properties"): Hypothesis chooses the scenario; the ``m`` trials
use ``SeedSequence(hash(scenario, session seed)).spawn(m)`` (:func:`generators.seeds.trial_seeds`);
``m`` is computed before sampling from the false-alarm rate and the power wanted
(:func:`theorems.inference.plan_trials`); the verdict comes from :mod:`theorems.inference`, the one judge.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from generators.seeds import replay_seed_description, trial_seeds
from .executor import run_trials
from .records import CheckRecord, RecordSink
from .statement import REGISTRY, Kind, Statement
from .inference import POWER_FACTOR, BinomialPlan, detectable_failure_rate, judge_binomial, plan_trials, quantile_bound
from .stats import Verdict, binomial_p_value, cp_lower, cp_upper, summarize_implied_constants
from .variants import Variant

__all__ = [
    "CHECKS",
    "Check",
    "Context",
    "Outcome",
    "check",
    "replay_trial",
    "run_check",
    "record_exact",
    "record_judgement",
]


@dataclass(frozen=True)
class Outcome:
    """One trial: whether the claimed event held, the implied constant (measured/scale) and the
    signed margin (``> 0`` holds; the smallest margin is the worst case), plus free numeric evidence."""

    success: bool | None  # None: the harness judges the event from the statement's bounds (run_check)
    implied: float | None = None
    margin: float | None = None
    measured: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """A named check of a statement.

    ``trial(scenario, rng) -> Outcome`` draws everything random from ``rng``; ``probability(scenario)``
    is the stated probability (``None`` for exact checks run once per scenario); ``version`` says which
    paper version's formula the check encodes when it differs from the statement's.
    """

    statement_id: str
    name: str
    trial: Callable[[Mapping[str, Any], np.random.Generator], Outcome]
    probability: Callable[[Mapping[str, Any]], float] | None
    description: str = ""
    version: str | None = None

    @property
    def statement(self) -> Statement:
        return _statement(self.statement_id)


CHECKS: dict[tuple[str, str], Check] = {}


def _statement(statement_id: str) -> Statement:
    """The registered statement, importing every statement module first if it is not registered yet."""
    if statement_id not in REGISTRY:
        from .catalog import load_all

        load_all()
    return REGISTRY.get(statement_id)


def check(statement_id: str, name: str, *, probability=None, description: str = "", version=None):
    """Decorator registering a trial function as the check ``(statement_id, name)``."""

    def deco(fn):
        key = (statement_id, name)
        if key in CHECKS:
            raise ValueError(f"check {key!r} is already registered")
        CHECKS[key] = Check(statement_id, name, fn, probability, description or (fn.__doc__ or "").strip().split("\n")[0], version)
        return fn

    return deco


@dataclass(frozen=True)
class Context:
    """What a test session passes to every check: the session seed, the per-assertion false-alarm rate
    ``alpha`` (the run's total rate split over its assertions), the power a binomial check plans for
    (``power_factor``: it must refute a failure rate ``power_factor·(1 − p)``), the sink records are written
    to, the pytest node id and the command that replays it, the largest affordable trial count per check
    and the executor of the trials (``None``: in-process)."""

    session_seed: int
    alpha: float
    power_factor: float = POWER_FACTOR
    sink: RecordSink | None = None
    test_id: str = ""
    replay: str = ""
    max_trials: int = 250
    executor: Any = None  # theorems.executor: None runs the trials in-process, in trial order


def _worst(outcomes: list[Outcome]) -> int | None:
    margins = [o.margin for o in outcomes]
    if all(m is None for m in margins):
        return None
    vals = np.array([np.inf if m is None or not np.isfinite(m) else m for m in margins], dtype=float)
    return int(np.argmin(vals))


def _bounds_event(st: Statement, variant: Variant | None, scenario: Mapping[str, Any], o: Outcome) -> Outcome:
    """Judge a trial that left its event to the harness (``success=None``): ``lower − floor ≤ quantity ≤
    upper + floor`` with the bounds of the statement, or of ``variant`` where it replaces them. The bounds
    receive the trial's measured values as keyword arguments (e.g. Thm 4.1's ``λ_min(XXᵀ)``)."""
    if o.success is not None:
        return o
    m = dict(o.measured)
    if "quantity" not in m:
        raise ValueError(f"{st.id}: a trial with success=None must measure 'quantity'; got {sorted(m)}")
    q, floor = float(m["quantity"]), float(m.get("floor", 0.0))
    if not np.isfinite(q):
        raise ValueError(f"{st.id}: non-finite quantity {q!r} at scenario {dict(scenario)!r}")
    lower = variant.lower if variant is not None and variant.lower is not None else st.lower
    upper = variant.upper if variant is not None and variant.upper is not None else st.upper
    extra = {k: v for k, v in m.items() if k not in ("quantity", "floor")}
    lo = None if lower is None else float(lower(scenario, **extra))
    hi = None if upper is None else float(upper(scenario, **extra))
    ok = (lo is None or q >= lo - floor) and (hi is None or q <= hi + floor)
    rel = [(q - lo) / abs(lo) if lo else None, (hi - q) / abs(hi) if hi else None]
    rel = [r for r in rel if r is not None]
    m.update({"lower": lo, "upper": hi})
    return Outcome(bool(ok), implied=o.implied, margin=o.margin if o.margin is not None else (min(rel) if rel else None),
                   measured={k: v for k, v in m.items() if v is not None})


def run_check(ctx: Context, statement_id: str, name: str, scenario: Mapping[str, Any], *, trials: int | None = None,
              max_trials: int | None = None, variant: Variant | None = None) -> CheckRecord:
    """Run the registered check on ``scenario`` at its stated probability and record the verdict.

    Trial count: sized before sampling by :func:`theorems.inference.plan_trials` so that the exact test
    at ``ctx.alpha`` refutes a failure rate ``ctx.power_factor·(1 − p)`` with probability ≥ 0.9, capped at
    ``max_trials`` (default ``ctx.max_trials``); ``trials`` fixes the count instead (replay, exact checks,
    explicit experiments) and the power is computed for it. Verdict and power come from
    :func:`theorems.inference.judge_binomial` ("verified" needs the power; otherwise "not refuted").
    ``variant`` (:func:`theorems.variants.plant`) replaces the statement's bounds, probability or
    exponents for this call only: a planted false statement judged by the same code path.
    """
    chk = CHECKS[(statement_id, name)]
    st = chk.statement
    scenario = dict(scenario)
    t0 = time.perf_counter()
    plan = None
    if chk.probability is None and (variant is None or variant.probability is None):
        p = 1.0
        m = trials or 1
    else:
        prob = variant.probability if variant is not None and variant.probability is not None else chk.probability
        p = float(np.clip(prob(scenario), 0.0, 1.0))
        cap = int(max_trials or ctx.max_trials)
        if trials is not None:
            det = detectable_failure_rate(trials, p, ctx.alpha)
            target = min(1.0, ctx.power_factor * (1.0 - p))
            plan = BinomialPlan(int(trials), target, det, bool(p > 0 and det <= target and target > 0), ctx.power_factor)
        else:
            plan = plan_trials(p, ctx.alpha, factor=ctx.power_factor, max_trials=cap)
        m = plan.trials
    seeds = trial_seeds(ctx.session_seed, statement_id, name, scenario, m) if m else []
    outcomes = [_bounds_event(st, variant, scenario, o) for o in run_trials(chk.trial, scenario, seeds, executor=ctx.executor)]
    k = sum(bool(o.success) for o in outcomes)
    implied = [o.implied for o in outcomes if o.implied is not None and np.isfinite(o.implied)]
    w = _worst(outcomes)
    worst = {}
    if w is not None:
        worst = {"trial": w, "margin": outcomes[w].margin, "implied": outcomes[w].implied, **dict(outcomes[w].measured)}
    check_name = name if variant is None else f"{name} [planted: {variant.label}]"
    evidence = dict(
        trial_seeds=replay_seed_description(ctx.session_seed, statement_id, name, scenario, m) if m else {},
        implied_constants=summarize_implied_constants(implied) if implied else {},
        worst_case=worst,
        measured=_aggregate(outcomes),
        timing_s=time.perf_counter() - t0,
        test_id=ctx.test_id,
        replay=ctx.replay,
        planted=variant.label if variant is not None else "",
    )
    common = dict(statement_id=st.id, check=check_name, paper_version=chk.version or st.paper_version, kind=st.kind,
                  scenario=scenario, session_seed=ctx.session_seed, trials=m, successes=k)
    if plan is None:  # exact check: every trial must hold; a single failure refutes
        rec = CheckRecord(**common, verdict=Verdict.VERIFIED if k == m else Verdict.REFUTED,
                          reason=f"{k}/{m} trials satisfied the exact property", **evidence)
    else:
        jd = judge_binomial(k, m, p, ctx.alpha, plan)
        lo, hi = (cp_lower(k, m, ctx.alpha), cp_upper(k, m, ctx.alpha)) if m else (0.0, 1.0)
        rec = CheckRecord(**common, verdict=jd.verdict, reason=jd.reason, stated_probability=p, alpha=ctx.alpha,
                          p_value=binomial_p_value(k, m, p), ci_low=lo, ci_high=hi, power=jd.power, **evidence)
    if ctx.sink is not None:
        ctx.sink.write(rec)
    return rec


#: The sharpest-constant statistic of a check's implied constants: an exact 95%-confidence bound for their
#: 5% (lower side) / 95% (upper side) quantile (:func:`theorems.inference.quantile_bound`) — a report
#: statistic, not an assertion.
QUANTILE, QUANTILE_CONFIDENCE = 0.05, 0.05


def _aggregate(outcomes: list[Outcome]) -> dict:
    """Mean, min and max of every numeric ``measured`` field over the trials; for ``implied_lower`` /
    ``implied_upper`` also the exact confidence bound of their 5% / 95% quantile (``q05_lcb`` / ``q95_ucb``)."""
    keys = {k for o in outcomes for k, v in o.measured.items() if isinstance(v, (int, float, np.floating, np.integer))}
    out = {}
    for key in sorted(keys):
        vals = np.array([float(o.measured[key]) for o in outcomes if key in o.measured], dtype=float)
        vals = vals[np.isfinite(vals)]
        if vals.size:
            out[key] = {"mean": float(vals.mean()), "min": float(vals.min()), "max": float(vals.max())}
            if key == "implied_lower":
                b = quantile_bound(vals, QUANTILE, QUANTILE_CONFIDENCE, "lower")
                if np.isfinite(b):
                    out[key]["q05_lcb"] = b
            elif key == "implied_upper":
                b = quantile_bound(vals, 1 - QUANTILE, QUANTILE_CONFIDENCE, "upper")
                if np.isfinite(b):
                    out[key]["q95_ucb"] = b
    return out


def record_exact(ctx: Context, statement: Statement | str, name: str, scenario: Mapping[str, Any], *, holds: bool, slack: float | None = None, measured: Mapping[str, Any] | None = None, reason: str = "", kind: Kind | str = Kind.EXACT, verdict: str | None = None) -> CheckRecord:
    """Record one deterministic property evaluated on one input: verified or refuted.

    For deterministic properties only (no false-alarm rate): a verdict on random draws goes through
    :func:`record_judgement`, which carries its ``alpha`` and power. ``verdict="reported"`` records an
    observation that asserts nothing (``tests/helpers.report_control``)."""
    st = _statement(statement) if isinstance(statement, str) else statement
    rec = CheckRecord(
        statement_id=st.id, check=name, paper_version=st.paper_version, kind=Kind(kind),
        scenario=dict(scenario), session_seed=ctx.session_seed,
        verdict=verdict or (Verdict.VERIFIED if holds else Verdict.REFUTED), trials=1, successes=int(bool(holds)),
        reason=reason or ("holds" if holds else "violated"),
        worst_case={"slack": slack} if slack is not None else {},
        measured=dict(measured or {}), test_id=ctx.test_id, replay=ctx.replay,
    )
    if ctx.sink is not None:
        ctx.sink.write(rec)
    return rec


def record_judgement(ctx: Context, statement: Statement | str, name: str, scenario: Mapping[str, Any], judgement, *,
                     kind: Kind | str = Kind.ASYMPTOTIC, measured: Mapping[str, Any] | None = None, trials: int = 0,
                     variant: Variant | None = None) -> CheckRecord:
    """Record a verdict of :mod:`theorems.inference` on random data (a slope, a spread, a control): it
    carries its ``alpha`` and ``power`` and is counted in the run's error budget like a binomial check."""
    st = _statement(statement) if isinstance(statement, str) else statement
    rec = CheckRecord(
        statement_id=st.id, check=name if variant is None else f"{name} [planted: {variant.label}]",
        paper_version=st.paper_version, kind=Kind(kind), scenario=dict(scenario), session_seed=ctx.session_seed,
        verdict=judgement.verdict, trials=int(trials), successes=0, alpha=float(judgement.alpha),
        reason=judgement.reason, power=dict(judgement.power), planted=variant.label if variant is not None else "",
        measured={**dict(judgement.measured), **dict(measured or {})}, test_id=ctx.test_id, replay=ctx.replay,
    )
    if ctx.sink is not None:
        ctx.sink.write(rec)
    return rec


def replay_trial(statement_id: str, name: str, scenario: Mapping[str, Any], session_seed: int, trial: int, trials: int) -> Outcome:
    """Re-run trial ``trial`` (of ``trials``) of a recorded check exactly."""
    chk = CHECKS[(statement_id, name)]
    seeds = trial_seeds(session_seed, statement_id, name, dict(scenario), trials)
    return chk.trial(dict(scenario), np.random.default_rng(seeds[trial]))
