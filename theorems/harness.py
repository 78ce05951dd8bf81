"""Running a declared check: seeds → Monte Carlo trials → exact binomial verdict → result record.

A *check* is a named, pure trial function of ``(scenario, rng)`` attached to a statement, together
with the stated probability as a function of the scenario. Checks are registered by name
(``CHECKS[(statement_id, name)]``), so that a result record — which stores the statement id, the check
name, the scenario and the session seed — is enough to replay any trial exactly
(:func:`replay_trial`).

Randomness (DESIGN.md "Probabilistic properties"): Hypothesis chooses the scenario; the ``m`` trials
use ``SeedSequence(hash(scenario, session seed)).spawn(m)`` (:func:`generators.seeds.trial_seeds`);
``m`` is computed from the false-alarm rate before sampling (:func:`theorems.stats.trials_needed`).
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
from .stats import Verdict, judge, summarize_implied_constants, trials_needed

__all__ = [
    "CHECKS",
    "Check",
    "Context",
    "Outcome",
    "check",
    "replay_trial",
    "run_check",
    "record_exact",
]


@dataclass(frozen=True)
class Outcome:
    """One trial: whether the claimed event held, the implied constant (measured/scale) and the
    signed margin (``> 0`` holds; the smallest margin is the worst case), plus free numeric evidence."""

    success: bool
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
    ``alpha`` (the run's total rate split over its assertions), the verification tolerance, the sink
    records are written to, the pytest node id and the command that replays it."""

    session_seed: int
    alpha: float
    tolerance: float = 0.05
    sink: RecordSink | None = None
    test_id: str = ""
    replay: str = ""
    max_trials: int = 20_000
    executor: Any = None  # theorems.executor: None runs the trials in-process, in trial order


def _worst(outcomes: list[Outcome]) -> int | None:
    margins = [o.margin for o in outcomes]
    if all(m is None for m in margins):
        return None
    vals = np.array([np.inf if m is None or not np.isfinite(m) else m for m in margins], dtype=float)
    return int(np.argmin(vals))


def run_check(ctx: Context, statement_id: str, name: str, scenario: Mapping[str, Any], *, trials: int | None = None) -> CheckRecord:
    """Run the registered check on ``scenario`` at its stated probability and record the verdict.

    ``trials`` overrides the computed count only for exact checks or explicit experiments; for a
    probabilistic check the count is :func:`trials_needed` at ``ctx.alpha`` and ``ctx.tolerance``.
    """
    chk = CHECKS[(statement_id, name)]
    st = chk.statement
    scenario = dict(scenario)
    t0 = time.perf_counter()
    if chk.probability is None:
        p = 1.0
        m = trials or 1
    else:
        p = float(np.clip(chk.probability(scenario), 0.0, 1.0)) if chk.probability else 1.0
        m = trials or (trials_needed(p, ctx.alpha, ctx.tolerance, max_trials=ctx.max_trials) if p > 0 else 0)
    seeds = trial_seeds(ctx.session_seed, statement_id, name, scenario, m) if m else []
    outcomes = run_trials(chk.trial, scenario, seeds, executor=ctx.executor)
    k = sum(bool(o.success) for o in outcomes)
    if chk.probability is None:
        # exact check: every trial must hold; a single failure refutes
        verdict = Verdict.VERIFIED if k == m else Verdict.REFUTED
        jd = None
    else:
        jd = judge(k, m, p, ctx.alpha, ctx.tolerance)
        verdict = jd.verdict
    implied = [o.implied for o in outcomes if o.implied is not None and np.isfinite(o.implied)]
    w = _worst(outcomes)
    worst = {}
    if w is not None:
        worst = {"trial": w, "margin": outcomes[w].margin, "implied": outcomes[w].implied, **dict(outcomes[w].measured)}
    measured = _aggregate(outcomes)
    evidence = dict(
        trial_seeds=replay_seed_description(ctx.session_seed, statement_id, name, scenario, m) if m else {},
        implied_constants=summarize_implied_constants(implied) if implied else {},
        worst_case=worst,
        measured=measured,
        timing_s=time.perf_counter() - t0,
        test_id=ctx.test_id,
        replay=ctx.replay,
    )
    if jd is not None:
        rec = CheckRecord.from_judgement(st, name, scenario, ctx.session_seed, jd, **evidence)
    else:
        rec = CheckRecord(
            statement_id=st.id, check=name, paper_version=chk.version or st.paper_version, kind=st.kind,
            scenario=scenario, session_seed=ctx.session_seed, verdict=verdict, trials=m, successes=k,
            reason=f"{k}/{m} trials satisfied the exact property", **evidence,
        )
    if chk.version and rec.paper_version != chk.version:
        rec.paper_version = chk.version
    if ctx.sink is not None:
        ctx.sink.write(rec)
    return rec


def _aggregate(outcomes: list[Outcome]) -> dict:
    """Mean, min and max of every numeric ``measured`` field over the trials."""
    keys = {k for o in outcomes for k, v in o.measured.items() if isinstance(v, (int, float, np.floating, np.integer))}
    out = {}
    for key in sorted(keys):
        vals = np.array([float(o.measured[key]) for o in outcomes if key in o.measured], dtype=float)
        vals = vals[np.isfinite(vals)]
        if vals.size:
            out[key] = {"mean": float(vals.mean()), "min": float(vals.min()), "max": float(vals.max())}
    return out


def record_exact(ctx: Context, statement: Statement | str, name: str, scenario: Mapping[str, Any], *, holds: bool, slack: float | None = None, measured: Mapping[str, Any] | None = None, reason: str = "", kind: Kind | str = Kind.EXACT) -> CheckRecord:
    """Record one deterministic property evaluated on one input: verified or refuted.

    ``kind`` is the kind of claim the property checks: exact by default; a scaling law of an asymptotic
    statement passes ``Kind.ASYMPTOTIC`` (see ``tests/helpers.assert_scaling``)."""
    st = _statement(statement) if isinstance(statement, str) else statement
    rec = CheckRecord(
        statement_id=st.id, check=name, paper_version=st.paper_version, kind=Kind(kind),
        scenario=dict(scenario), session_seed=ctx.session_seed,
        verdict=Verdict.VERIFIED if holds else Verdict.REFUTED, trials=1, successes=int(bool(holds)),
        reason=reason or ("holds" if holds else "violated"),
        worst_case={"slack": slack} if slack is not None else {},
        measured=dict(measured or {}), test_id=ctx.test_id, replay=ctx.replay,
    )
    if ctx.sink is not None:
        ctx.sink.write(rec)
    return rec


def replay_trial(statement_id: str, name: str, scenario: Mapping[str, Any], session_seed: int, trial: int, trials: int) -> Outcome:
    """Re-run trial ``trial`` (of ``trials``) of a recorded check exactly."""
    chk = CHECKS[(statement_id, name)]
    seeds = trial_seeds(session_seed, statement_id, name, dict(scenario), trials)
    return chk.trial(dict(scenario), np.random.default_rng(seeds[trial]))
