"""Reproducible calibration of the *calibrated* named constants from result records.

Two constants of :mod:`theorems.constants` cannot be derived from the paper's proofs (their hidden constants
are not explicit) and are calibrated: ``THM41_LOWER`` (Thm 4.1's lower-bound constant) and ``THM62_C``
(Thm 6.2's upper-bound constant). Their checks record, for every trial, the *implied constant* — the measured
quantity divided by the bound's scale — so a run's records are the calibration data:

* a lower-bound constant must stay below the smallest implied constant seen inside the regime
  (margin = min implied / value, wanted ≥ the safety factor);
* an upper-bound constant must stay above the largest implied constant (margin = value / max implied).

``python -m theorems.calibration [RECORDS]`` prints the margins for a run (``RECORDS``: a results directory
``.ntk-results/<run>``, its ``records.json``, or nothing for the newest run); the session summary prints the
same lines. Calibration procedure: run the suite (``ci`` or ``thorough`` profile, default seed), then set the
constant to (min implied)/SAFETY or (max implied)·SAFETY; the values in constants.py came from the larger
development runs described in their provenance.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .constants import value
from .records import CheckRecord, merge_records

__all__ = ["CALIBRATED", "Calibration", "calibration_lines", "margins"]

SAFETY = 3.0  # the smallest margin a calibrated constant should keep over the implied constants of a run


@dataclass(frozen=True)
class Calibration:
    constant: str
    statement_id: str
    checks: tuple[str, ...]
    side: str  # "lower": constant ≤ implied; "upper": constant ≥ implied
    where: Callable[[Mapping], bool] | None = None  # the scenarios where the constant is calibrated, not derived
    scope: str = ""


CALIBRATED = (
    Calibration("THM41_LOWER", "Thm 4.1", ("bounds", "bounds (icml)"), "lower"),
    # k = 1 is derived (Davidson–Szarek: implied ≤ (2 + √(2c))² = 9, ≈ 4 for square W_1); calibrated for k ≥ 2
    Calibration("THM62_C", "Thm 6.2", ("bound",), "upper", where=lambda s: int(s.get("k", 0)) >= 2, scope="k ≥ 2"),
)


def margins(records) -> list[dict]:
    """For each calibrated constant: its value, the extreme implied constant over the run's records of its
    checks, the margin, the number of trials behind it and the value SAFETY would give."""
    out = []
    for c in CALIBRATED:
        recs = [r for r in records if r.statement_id == c.statement_id and r.check in c.checks and r.implied_constants
                and (c.where is None or c.where(r.scenario))]
        v = value(c.constant)
        if not recs:
            out.append({"constant": c.constant, "value": v, "trials": 0})
            continue
        n = int(sum(r.implied_constants.get("n", 0) for r in recs))
        if c.side == "lower":
            ext = min(r.implied_constants["min"] for r in recs)
            out.append({"constant": c.constant, "value": v, "side": c.side, "extreme_implied": ext, "margin": ext / v,
                        "trials": n, "suggested": ext / SAFETY})
        else:
            ext = max(r.implied_constants["max"] for r in recs)
            out.append({"constant": c.constant, "value": v, "side": c.side, "extreme_implied": ext, "margin": v / ext,
                        "trials": n, "suggested": ext * SAFETY})
    return out


def calibration_lines(records) -> list[str]:
    lines = []
    for m in margins(records):
        if not m["trials"]:
            lines.append(f"calibrated {m['constant']} = {m['value']:.4g}: no records of its checks in this run")
            continue
        word = "min" if m["side"] == "lower" else "max"
        flag = "" if m["margin"] >= SAFETY else f"  (below the safety factor {SAFETY:g})"
        scope = next((f" ({c.scope})" for c in CALIBRATED if c.constant == m["constant"] and c.scope), "")
        lines.append(f"calibrated {m['constant']} = {m['value']:.4g}{scope}: {word} implied constant {m['extreme_implied']:.4g} over "
                     f"{m['trials']} trials, margin {m['margin']:.3g}{flag}")
    return lines


def _load(arg: str | None):
    if arg is None:
        runs = sorted(Path(".ntk-results").glob("*/records.json"), key=lambda p: p.stat().st_mtime)
        if not runs:
            raise SystemExit("no .ntk-results/*/records.json: run the suite first (python -m pytest -n auto)")
        arg = str(runs[-1])
    p = Path(arg)
    if p.is_dir():
        return merge_records(p, strict=False)
    return [CheckRecord.from_dict(d) for d in json.loads(p.read_text(encoding="utf-8"))]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for line in calibration_lines(_load(argv[0] if argv else None)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
