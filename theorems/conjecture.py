"""A user's conjecture checked like a paper statement (issue 8 item 8).

A conjecture file is plain Python that calls :func:`conjecture` once per claim. Each claim declares

* what the paper's statements declare (:class:`theorems.statement.Statement`): ``id``, ``claim``, ``kind``
  (asymptotic by default), ``hypotheses``, ``lower`` / ``upper`` bounds on the quantity (functions of the
  scenario), the stated ``probability`` (a function of the scenario), the ``exponents`` of the scaling law it
  implies and its ``scale`` (implied constant = quantity / scale);
* ``measure(scenario, rng)``: the quantity — any function of data and weights drawn from ``rng`` (use
  ``ntk``), returning a float or ``(value, floor)``;
* ``paths``: regime paths, ``{variable: [scenario, …]}`` with the sizes growing along each list and the
  hypotheses kept.

:func:`check_file` then runs every claim through the suite's own machinery: at every scenario of every
path the bounds at the stated probability (``run_check``: trials sized for power, exact binomial verdict);
along every path the implied constant of each bound (``judge_path``: an Ω may not decay, an O may not grow);
and, where the claim declares an exponent in the path's variable, the scaling law (``judge_scaling``). The
records, seeds, verdicts and power are those of the paper's checks; ``python -m reports check FILE`` writes
the usual report. Seeds derive from the claim's id, the scenario and the session seed, so a run replays
exactly with the same ``--seed``.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from generators.seeds import trial_rngs

from .harness import CHECKS, Check, Context, Outcome, record_judgement, run_check
from .inference import judge_path, judge_scaling
from .records import CheckRecord
from .statement import REGISTRY, Kind, Registry, Statement

__all__ = ["Conjecture", "conjecture", "check_conjecture", "check_file", "load_file"]

#: The check name every conjecture's bounds are registered under (``CHECKS[(id, BOUNDS)]``).
BOUNDS = "bounds"


@dataclass(frozen=True)
class Conjecture:
    """A declared claim: its :class:`Statement`, the ``measure`` of its quantity and its regime paths."""

    statement: Statement
    measure: Callable[[Mapping[str, Any], np.random.Generator], Any]
    paths: Mapping[str, Sequence[Mapping[str, Any]]]
    path_trials: int = 8


def _trial(measure: Callable) -> Callable:
    def trial(s: Mapping[str, Any], rng: np.random.Generator) -> Outcome:
        v = measure(s, rng)
        value, floor = (v if isinstance(v, tuple) else (v, 0.0))
        if hasattr(value, "value") and hasattr(value, "floor"):  # an ntk.lambda_min result
            value, floor = value.value, value.floor
        value, floor = float(value), float(floor)
        if not math.isfinite(value):
            raise ValueError(f"measure returned a non-finite value {value!r} at scenario {dict(s)!r}")
        return Outcome(None, measured={"quantity": value, "floor": floor})

    return trial


def conjecture(*, id: str, claim: str, measure: Callable, paths: Mapping[str, Sequence[Mapping[str, Any]]],
               lower: Callable | None = None, upper: Callable | None = None, probability: Callable | None = None,
               exponents: Mapping[str, float] | None = None, scale: Callable | None = None,
               hypotheses: Callable | None = None, kind: str = "asymptotic", quantity: str = "quantity",
               title: str = "", path_trials: int = 8, registry: Registry | None = None) -> Conjecture:
    """Declare a claim (see the module docstring) and register it with its bounds check.

    ``lower`` / ``upper`` take the scenario (``lambda s: 0.1 * s["d"]``); ``probability`` defaults to 0.99.
    Raises ValueError naming the offending field (no bound, an empty path, a path variable the scenarios do
    not vary)."""
    if lower is None and upper is None:
        raise ValueError(f"conjecture {id!r}: give a lower or an upper bound")
    if not paths:
        raise ValueError(f"conjecture {id!r}: give at least one regime path")
    for var, pts in paths.items():
        if len(pts) < 3:
            raise ValueError(f"conjecture {id!r}: path {var!r} needs at least 3 scenarios, got {len(pts)}")
        xs = [p.get(var) for p in pts]
        if any(not isinstance(x, (int, float)) or x <= 0 for x in xs) or len(set(xs)) < 2:
            raise ValueError(f"conjecture {id!r}: path {var!r} must vary scenario[{var!r}] over positive numbers, got {xs}")
    if path_trials < 3:
        raise ValueError(f"conjecture {id!r}: path_trials must be >= 3, got {path_trials}")
    prob = probability or (lambda s: 0.99)
    st = Statement(id=id, title=title or claim, claim=claim, kind=Kind(kind), hypotheses=hypotheses, quantity=quantity,
                   lower=(lambda s, **_: float(lower(s))) if lower else None,
                   upper=(lambda s, **_: float(upper(s))) if upper else None,
                   probability=lambda s, **_: float(prob(s)), section="conjecture", notes="user conjecture",
                   exponents=exponents, scale=scale)
    (REGISTRY if registry is None else registry).register(st, replace=True)  # a file loaded again replaces its claims
    CHECKS[(id, BOUNDS)] = Check(id, BOUNDS, _trial(measure), lambda s: st.stated_probability(s),
                                 description=f"{claim} at its stated probability")
    return Conjecture(st, measure, {k: list(v) for k, v in paths.items()}, int(path_trials))


def load_file(path: str | Path) -> list[Conjecture]:
    """Import a conjecture file and return the claims it declared (in declaration order)."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"conjecture file {str(p)!r} does not exist")
    before = set(REGISTRY.ids())
    declared: list[Conjecture] = []
    name = f"ntk_conjecture_{abs(hash(str(p.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, p)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    for obj in vars(module).values():
        if isinstance(obj, Conjecture):
            declared.append(obj)
        elif isinstance(obj, (list, tuple)):
            declared.extend(o for o in obj if isinstance(o, Conjecture))
    seen, out = set(), []
    for c in declared:
        if c.statement.id not in seen:
            seen.add(c.statement.id)
            out.append(c)
    if not out:
        raise ValueError(f"{str(p)!r} declares no conjecture (call theorems.conjecture.conjecture(...) at module level "
                         f"and keep the result in a variable)")
    missing = [i for i in REGISTRY.ids() if i not in before and i not in seen]
    if missing:
        raise ValueError(f"{str(p)!r}: conjectures {missing} were declared but not kept in a module-level variable")
    return out


def check_conjecture(ctx: Context, c: Conjecture) -> list[CheckRecord]:
    """Run one claim through the suite's machinery (module docstring); returns its records."""
    st = c.statement
    records: list[CheckRecord] = []
    for var, pts in c.paths.items():
        for s in pts:
            records.append(run_check(ctx, st.id, BOUNDS, s))
        x = [float(s[var]) for s in pts]
        trial = CHECKS[(st.id, BOUNDS)].trial
        values = np.array([[trial(s, g).measured["quantity"] for g in trial_rngs(ctx.session_seed, st.id, f"path-{var}", s,
                                                                                  c.path_trials)] for s in pts])
        scen = {"path": var, "levels": x}
        if st.scale is not None:
            from . import constants as C

            window = C.value("SCALING_EXPONENT_WINDOW")
            implied = values / np.array([float(st.scale(s)) for s in pts])[:, None]
            for side, bound in (("lower", st.lower), ("upper", st.upper)):
                if bound is None:
                    continue
                if np.all(implied > 0):
                    jd = judge_path(x, implied, side=side, alpha=ctx.alpha, window=window)
                    records.append(record_judgement(ctx, st, f"{side} implied constant along {var}", scen, jd,
                                                    trials=int(values.size),
                                                    measured={"x": x, "y": implied.mean(axis=1).tolist(), "xlabel": var,
                                                              "ylabel": f"quantity / scale ({side})"}))
        exps = dict(st.exponents or {})
        if var in exps and np.all(values > 0):
            from . import constants as C

            jd = judge_scaling(x, values, exponent=exps[var], window=C.value("SCALING_EXPONENT_WINDOW"), alpha=ctx.alpha)
            records.append(record_judgement(ctx, st, f"scaling-{var}", scen, jd, trials=int(values.size),
                                            measured={"x": x, "y": values.mean(axis=1).tolist(), "xlabel": var,
                                                      "ylabel": st.quantity}))
    return records


def check_file(ctx: Context, path: str | Path) -> list[CheckRecord]:
    """Load a conjecture file and check every claim in it; returns all records."""
    return [rec for c in load_file(path) for rec in check_conjecture(ctx, c)]
