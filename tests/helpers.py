"""Small helpers shared by the statement tests."""

from __future__ import annotations

import os

import pytest

from theorems.records import CheckRecord

__all__ = ["assert_not_refuted", "assert_scaling", "examples"]


def examples(dev: int, ci: int, thorough: int) -> int:
    """Hypothesis example count for the active profile (``NTK_PROFILE``, set by conftest.py)."""
    return {"dev": dev, "ci": ci, "thorough": thorough}[os.environ.get("NTK_PROFILE", "dev")]


def assert_not_refuted(rec: CheckRecord) -> None:
    """Fail on a refutation with a message carrying the evidence and the replay command; an
    inconclusive verdict passes but stays inconclusive in the records and the report."""
    if rec.verdict == "refuted":
        pytest.fail(
            f"{rec.statement_id} [{rec.check}] REFUTED: {rec.reason}\n"
            f"scenario={rec.scenario}\nworst case={rec.worst_case}\nrecord={rec.record_id}\nreplay: {rec.replay}",
            pytrace=False,
        )


def assert_scaling(ctx, statement_id: str, check: str, scenario: dict, x, y, *, exponent: float, xlabel: str,
                   ylabel: str):
    """Scaling law of a Θ-statement: fit ``log y = a + b log x`` (t-interval for ``b``), record the sweep (the
    report draws it) and assert ``|b − exponent| ≤ SCALING_EXPONENT_WINDOW``. Returns the fit."""
    from theorems import constants as C
    from theorems.harness import record_exact
    from theorems.stats import fit_power_law

    window = C.value("SCALING_EXPONENT_WINDOW")
    x, y = [float(v) for v in x], [float(v) for v in y]
    fit = fit_power_law(x, y)
    ok = abs(fit.exponent - exponent) <= window
    record_exact(ctx, statement_id, check, scenario, holds=ok, slack=window - abs(fit.exponent - exponent), kind="asymptotic",
                 measured={"exponent": fit.exponent, "ci_low": fit.ci_low, "ci_high": fit.ci_high, "x": x, "y": y,
                           "xlabel": xlabel, "ylabel": ylabel},
                 reason=f"slope in {xlabel} = {fit.exponent:.4f} [{fit.ci_low:.4f}, {fit.ci_high:.4f}], "
                        f"expected {exponent:g} ± {window}")
    assert ok, fit
    return fit
