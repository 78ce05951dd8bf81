"""The calibration report of the calibrated constants (theorems/calibration.py)."""

from __future__ import annotations

import pytest

from theorems.calibration import SAFETY, calibration_lines, margins
from theorems.constants import value
from theorems.records import CheckRecord


def _rec(sid, check, lo, hi, n, scen):
    return CheckRecord(statement_id=sid, check=check, paper_version="v5", kind="asymptotic", scenario=scen,
                       session_seed=1, verdict="verified", trials=n, successes=n,
                       implied_constants={"min": lo, "q05": lo, "median": (lo + hi) / 2, "q95": hi, "max": hi, "n": n})


def test_margins_use_the_extreme_implied_constant_on_the_right_side():
    recs = [_rec("Thm 4.1", "bounds", 0.5, 3.0, 10, {"a": 1}), _rec("Thm 4.1", "bounds (icml)", 0.25, 1.0, 5, {"a": 2}),
            _rec("Thm 6.2", "bound", 0.1, 2.0, 7, {"k": 2}), _rec("Thm 6.2", "other", 0.1, 99.0, 7, {"k": 2}),
            _rec("Thm 6.2", "bound", 0.1, 4.0, 7, {"k": 1})]  # k = 1 is derived, not calibrated: ignored
    m = {d["constant"]: d for d in margins(recs)}
    assert m["THM41_LOWER"]["extreme_implied"] == 0.25 and m["THM41_LOWER"]["trials"] == 15
    assert m["THM41_LOWER"]["margin"] == pytest.approx(0.25 / value("THM41_LOWER"))
    assert m["THM41_LOWER"]["suggested"] == pytest.approx(0.25 / SAFETY)
    assert m["THM62_C"]["extreme_implied"] == 2.0  # the unrelated check is ignored
    assert m["THM62_C"]["margin"] == pytest.approx(value("THM62_C") / 2.0)


def test_lines_flag_a_margin_below_the_safety_factor_and_missing_data():
    tight = value("THM41_LOWER") * (SAFETY / 2)
    lines = calibration_lines([_rec("Thm 4.1", "bounds", tight, 1.0, 3, {"a": 1})])
    assert "below the safety factor" in lines[0]
    assert "no records" in lines[1]
