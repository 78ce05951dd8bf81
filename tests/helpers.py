"""Small helpers shared by the statement tests."""

from __future__ import annotations

import os

import numpy as np
import pytest

from theorems.records import CheckRecord

__all__ = ["assert_affine", "assert_control", "assert_not_refuted", "assert_path", "assert_planted_refuted", "assert_scaling", "assert_spread",
           "examples", "report_control"]


def examples(dev: int, ci: int, thorough: int) -> int:
    """Hypothesis example count for the active profile (``NTK_PROFILE``, set by conftest.py)."""
    return {"dev": dev, "ci": ci, "thorough": thorough}[os.environ.get("NTK_PROFILE", "dev")]


def assert_not_refuted(rec: CheckRecord) -> CheckRecord:
    """Fail on a refutation with a message carrying the evidence and the replay command; "not refuted"
    and "inconclusive" pass but stay so labelled in the records and the report (never "verified")."""
    if rec.verdict == "refuted":
        pytest.fail(
            f"{rec.statement_id} [{rec.check}] REFUTED: {rec.reason}\n"
            f"scenario={rec.scenario}\nworst case={rec.worst_case}\nrecord={rec.record_id}\nreplay: {rec.replay}",
            pytrace=False,
        )
    return rec


def _fail_if_refuted(rec: CheckRecord) -> CheckRecord:
    """A claim fails its test on "refuted"; a planted variant's record is returned for
    :func:`assert_planted_refuted`."""
    if not rec.planted:
        assert_not_refuted(rec)
    return rec


def assert_planted_refuted(rec: CheckRecord) -> CheckRecord:
    """A planted false variant must be refuted by the check it was planted in (else the check lacks power)."""
    assert rec.planted, f"{rec.check}: not a planted variant"
    if rec.verdict != "refuted":
        pytest.fail(f"planted false variant NOT refuted — the check lacks power: {rec.statement_id} [{rec.check}] "
                    f"{rec.verdict}: {rec.reason}\npower={rec.power}\nscenario={rec.scenario}", pytrace=False)
    return rec


def _exponent(statement_id: str, variable: str, exponent, variant) -> float:
    from theorems.harness import _statement

    if exponent is not None:
        return float(exponent)
    if variant is not None and variable in variant.exponents:
        return float(variant.exponents[variable])
    return _statement(statement_id).exponent(variable)


def assert_scaling(ctx, statement_id: str, check: str, scenario: dict, x, y, *, variable: str, xlabel: str = "",
                   ylabel: str = "", exponent: float | None = None, variant=None, window: float | None = None):
    """Scaling law of a Θ-statement along ``x`` (the levels of ``variable``), ``y`` per-trial values (levels ×
    trials): the exponent is read from the statement (or ``variant``; ``exponent`` only for laws the statement
    does not declare, e.g. a proof step), judged by :func:`theorems.inference.judge_scaling` at ``ctx.alpha`` with
    the window ``SCALING_EXPONENT_WINDOW``. Fails only on "refuted". Returns the record."""
    from theorems import constants as C
    from theorems.harness import record_judgement
    from theorems.inference import judge_scaling

    e = _exponent(statement_id, variable, exponent, variant)
    w = C.value("SCALING_EXPONENT_WINDOW") if window is None else float(window)
    y = np.asarray(y, dtype=float)
    jd = judge_scaling(x, y, exponent=e, window=w, alpha=ctx.alpha)
    rec = record_judgement(ctx, statement_id, check, scenario, jd, trials=int(y.size), variant=variant,
                           measured={"x": [float(v) for v in x], "y": _level_means(y), "y_trials": y.tolist(),
                                     "xlabel": xlabel or variable, "ylabel": ylabel, "variable": variable,
                                     "expected_exponent": e, "window": w})
    return _fail_if_refuted(rec)


def _level_means(y: np.ndarray) -> list[float]:
    return (y.mean(axis=1) if y.ndim == 2 else y).astype(float).tolist()


def assert_affine(ctx, statement_id: str, check: str, scenario: dict, x, y, *, xlabel: str, ylabel: str,
                  kind: str = "asymptotic"):
    """Affine growth ``y ≈ a + b x`` with ``b > 0`` (:func:`theorems.inference.judge_affine`, exact slope
    interval at ``ctx.alpha``); ``y`` per-trial values (levels × trials). Fails only on "refuted"."""
    from theorems.harness import record_judgement
    from theorems.inference import judge_affine

    y = np.asarray(y, dtype=float)
    jd = judge_affine(x, y, alpha=ctx.alpha)
    rec = record_judgement(ctx, statement_id, check, scenario, jd, kind=kind, trials=int(y.size),
                           measured={"x": [float(v) for v in x], "y": _level_means(y), "y_trials": y.tolist(),
                                     "xlabel": xlabel, "ylabel": ylabel, "fit": "affine"})
    return _fail_if_refuted(rec)


def assert_path(ctx, statement_id: str, check: str, scenario: dict, x, implied, *, side: str, xlabel: str,
                variant=None):
    """An Ω (``side="lower"``) or O (``side="upper"``) claim along a regime path ``x`` (sizes grown with the
    hypotheses kept): the implied constants (levels × trials) must not decay (grow) polynomially beyond the
    window ``SCALING_EXPONENT_WINDOW`` (:func:`theorems.inference.judge_path`). Fails only on "refuted"."""
    from theorems import constants as C
    from theorems.harness import record_judgement
    from theorems.inference import judge_path

    implied = np.asarray(implied, dtype=float)
    jd = judge_path(x, implied, side=side, alpha=ctx.alpha, window=C.value("SCALING_EXPONENT_WINDOW"))
    rec = record_judgement(ctx, statement_id, check, scenario, jd, trials=int(implied.size), variant=variant,
                           measured={"x": [float(v) for v in x], "y": _level_means(implied), "y_trials": implied.tolist(),
                                     "xlabel": xlabel, "ylabel": f"implied constant ({side} bound)", "side": side})
    return _fail_if_refuted(rec)


def assert_spread(ctx, statement_id: str, check: str, scenario: dict, groups, *, limit: float, labels):
    """The implied constant of a Θ-statement stays within ×``limit`` across the groups (regime scenarios)
    (:func:`theorems.inference.judge_spread`: exact median intervals). Fails only on "refuted"."""
    from theorems.harness import record_judgement
    from theorems.inference import judge_spread

    jd = judge_spread(groups, limit=limit, alpha=ctx.alpha)
    rec = record_judgement(ctx, statement_id, check, scenario, jd, trials=int(sum(np.size(g) for g in groups)),
                           measured={"labels": list(labels), "implied": [float(np.median(g)) for g in groups],
                                     "limit": float(limit)})
    return _fail_if_refuted(rec)


def assert_control(ctx, statement_id: str, name: str, scenario: dict, *, detected: bool, hypothesis_violated: str,
                   measured: dict | None = None, reason: str = "", power: dict | None = None):
    """A negative control that can fail: ``detected`` is the outcome of a test on random draws (at
    ``ctx.alpha``, counted in the budget); the test fails when the violation is not seen."""
    from theorems.harness import record_judgement
    from theorems.inference import Judgement

    jd = Judgement("detected" if detected else "not detected", reason, ctx.alpha,
                   power or {"alternative": "the violation the theory predicts, at its predicted size",
                             "detectable": 1.0, "reached": bool(detected)})
    rec = record_judgement(ctx, statement_id, f"control: {name}", scenario, jd,
                           measured={**dict(measured or {}), "hypothesis_violated": hypothesis_violated})
    assert detected, f"{statement_id} control {name!r} not detected: {reason}; {measured}"
    return rec


def report_control(ctx, statement_id: str, name: str, scenario: dict, *, hypothesis_violated: str,
                   measured: dict | None = None, reason: str = ""):
    """A control that asserts nothing (the paper claims nothing there): recorded as "reported", listed apart,
    never counted as detected."""
    from theorems.harness import record_exact

    rec = record_exact(ctx, statement_id, f"control: {name} (reported)", scenario, holds=True, reason=reason,
                       measured={**dict(measured or {}), "hypothesis_violated": hypothesis_violated}, verdict="reported")
    return rec
